#!/usr/bin/env node
// CGI start-up: wall time of one hello-world CGI request (spawn with the CGI meta-variables,
// stdin closed, stdout captured), median of RUNS runs per row, rows interleaved so that machine
// noise hits them alike. Needs a build (npm run build). Usage: node bench/cgi-startup.mjs [runs]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PEERS = join(ROOT, "bench", "peers", "cgi");
const RUNS = Number(process.argv[2] ?? 30);
const WARMUP = 3;

const CGI_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  GATEWAY_INTERFACE: "CGI/1.1",
  REQUEST_METHOD: "GET",
  SCRIPT_NAME: "/cgi-bin/hello",
  PATH_INFO: "/",
  QUERY_STRING: "",
  SERVER_NAME: "localhost",
  SERVER_PORT: "80",
  SERVER_PROTOCOL: "HTTP/1.1",
  SERVER_SOFTWARE: "bench",
  REMOTE_ADDR: "127.0.0.1",
  HTTP_HOST: "localhost",
  HTTP_USER_AGENT: "cgi-startup",
};

function rows(goBinary) {
  const list = [
    { name: "node -e 0 (the floor)", cmd: process.execPath, args: ["-e", "0"], baseline: true },
    // What a #!/usr/bin/env line costs any script: one more exec and a PATH search.
    {
      name: "/usr/bin/env node -e 0",
      cmd: "/usr/bin/env",
      args: ["node", "-e", "0"],
      envFloor: true,
      baseline: true,
    },
    {
      name: "tsgi: node cgi-bin/hello (CJS)",
      cmd: process.execPath,
      args: [join(ROOT, "cgi-bin", "hello")],
      tsgi: true,
    },
    {
      name: "tsgi: cgi-bin/hello (#!/usr/bin/env)",
      cmd: join(ROOT, "cgi-bin", "hello"),
      args: [],
      viaEnv: true,
    },
    {
      name: "tsgi cgi-bin/app, TSGI_APP=hello.cjs",
      cmd: process.execPath,
      args: [join(ROOT, "cgi-bin", "app")],
      env: { TSGI_APP: join(PEERS, "hello-app.cjs") },
    },
    {
      name: "tsgi cgi-bin/app, TSGI_APP=hello.mjs",
      cmd: process.execPath,
      args: [join(ROOT, "cgi-bin", "app")],
      env: { TSGI_APP: join(ROOT, "examples", "hello.mjs") },
    },
    // Issue 8 §2: an Express hello world costs its own require plus at most 10 ms more.
    {
      name: "node -e require('express')",
      cmd: process.execPath,
      args: ["-e", "require('express')"],
      baseline: true,
      expressFloor: true,
    },
    {
      name: "tsgi cgi-bin/app, TSGI_APP=Express hello",
      cmd: process.execPath,
      args: [join(ROOT, "cgi-bin", "app")],
      env: { TSGI_APP: join(PEERS, "hello-express.cjs") },
      express: true,
    },
    {
      name: "tsgi CJS entry + ESM app (import())",
      cmd: process.execPath,
      args: [join(PEERS, "hello-cjs-esm-app.cjs")],
    },
    {
      name: "tsgi ESM entry + ESM app",
      cmd: process.execPath,
      args: [join(PEERS, "hello-esm.mjs")],
    },
    { name: "python3 wsgiref CGIHandler", cmd: "python3", args: [join(PEERS, "hello.py")] },
  ];
  if (goBinary) list.push({ name: "go net/http/cgi", cmd: goBinary, args: [] });
  return list;
}

function buildGo(dir) {
  const out = join(dir, "hello-go");
  const built = spawnSync("go", ["build", "-o", out, join(PEERS, "hello.go")], {
    encoding: "utf8",
    env: {
      ...process.env,
      GOCACHE: process.env.GOCACHE ?? join(dir, "gocache"),
      GO111MODULE: "off",
    },
  });
  if (built.error || built.status !== 0) {
    const why = built.error?.code === "ENOENT" ? "`go` not found" : (built.stderr || "").trim();
    return { skipped: why };
  }
  return { binary: out };
}

function once(row) {
  const start = performance.now();
  const run = spawnSync(row.cmd, row.args, {
    env: { ...CGI_ENV, ...row.env },
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ms = performance.now() - start;
  if (run.error || run.status !== 0) {
    throw new Error(`${row.name}: exit ${run.status} ${run.error ?? run.stderr.toString()}`);
  }
  if (!row.baseline && !run.stdout.toString("latin1").includes("Hello, world!")) {
    throw new Error(`${row.name}: no "Hello, world!" in its output: ${run.stdout}`);
  }
  return ms;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const dir = mkdtempSync(join(tmpdir(), "tsgi-bench-"));
try {
  const go = buildGo(dir);
  const table = rows(go.binary);
  const times = new Map(table.map((row) => [row, []]));
  for (let i = 0; i < WARMUP; i++) for (const row of table) once(row);
  for (let i = 0; i < RUNS; i++) for (const row of table) times.get(row).push(once(row));

  const floor = median(times.get(table[0]));
  console.log(`CGI hello-world start-up, node ${process.version}, median of ${RUNS} runs`);
  for (const row of table) {
    const ms = median(times.get(row));
    const ratio = (ms / floor).toFixed(2);
    // The minimum shows what the machine can do when nothing else is running.
    const min = Math.min(...times.get(row)).toFixed(1);
    console.log(
      `  ${row.name.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms  ${ratio}x node -e 0  (min ${min} ms)`,
    );
  }
  if (go.skipped) console.log(`  go net/http/cgi: skipped (${go.skipped})`);
  const tsgi = median(times.get(table.find((row) => row.tsgi)));
  console.log(
    `tsgi (node cgi-bin/hello) / node -e 0 = ${(tsgi / floor).toFixed(3)} (goal <= 1.15)`,
  );
  const expressMs = median(times.get(table.find((row) => row.express)));
  const expressFloor = median(times.get(table.find((row) => row.expressFloor)));
  console.log(
    `Express under CGI - node -e "require('express')" = ${(expressMs - expressFloor).toFixed(1)} ms (goal <= 10)`,
  );
  const viaEnv = median(times.get(table.find((row) => row.viaEnv)));
  const envFloor = median(times.get(table.find((row) => row.envFloor)));
  console.log(
    `tsgi (cgi-bin/hello via #!) / /usr/bin/env node -e 0 = ${(viaEnv / envFloor).toFixed(3)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
