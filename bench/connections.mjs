#!/usr/bin/env node
// One tsgi process behind one nginx worker at several wrk concurrencies: how CPU per request
// depends on how many connections one event loop serves (docs/benchmarks.md, "Why --workers 2
// is not faster here"). node bench/connections.mjs [--rounds N] [--duration S] [C ...]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeNginxConf } from "./lib/nginx.mjs";
import { freePort, start, stop, waitForPort } from "./lib/proc.mjs";
import { wrk } from "./lib/wrk.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { values, positionals } = parseArgs({
  options: { rounds: { type: "string", default: "3" }, duration: { type: "string", default: "3" } },
  allowPositionals: true,
});
const counts = (positionals.length ? positionals : ["8", "16", "32"]).map(Number);
const dir = mkdtempSync(join(tmpdir(), "tsgi-conns-"));
const log = (name) => join(dir, `${name}.log`);
const upstreamPort = await freePort();
const port = await freePort();
const conf = writeNginxConf(dir, [{ name: "tsgi", kind: "fastcgi", upstreamPort, port }]);
const nginx = start("nginx", ["-p", dir, "-e", log("nginx"), "-c", conf, "-g", "daemon off;"], {
  logPath: log("nginx-stdout"),
});
const tsgi = start(
  process.execPath,
  ["dist/cli/main.js", "fcgi", "examples/hello.mjs", "--listen", `127.0.0.1:${upstreamPort}`],
  { cwd: ROOT, logPath: log("tsgi") },
);
try {
  await waitForPort("nginx", port, nginx);
  await waitForPort("tsgi", upstreamPort, tsgi);
  const results = new Map(counts.map((c) => [c, []]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const connections of counts) {
      const r = await wrk(`http://127.0.0.1:${port}/`, {
        durationS: Number(values.duration),
        warmupS: 1,
        connections,
        pid: tsgi.pid,
      });
      results.get(connections).push(r);
    }
  }
  const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log("| wrk -c | req/s | tsgi CPU/req |\n| ---: | ---: | ---: |");
  for (const [c, rs] of results) {
    const rps = median(rs.map((r) => r.rps));
    const cpu = median(rs.map((r) => r.cpuUs));
    console.log(`| ${c} | ${Math.round(rps).toLocaleString("en")} | ${cpu.toFixed(1)} µs |`);
  }
} finally {
  await stop(tsgi);
  await stop(nginx);
  rmSync(dir, { recursive: true, force: true });
}
