// The adapters benchmark (issue 8 §4): each framework app through tsgi FastCGI against the same
// app served natively behind nginx `proxy_pass` (upstream keepalive), one nginx worker for both,
// hello world and a small JSON route. Run from bench/run.mjs (`--only adapters`); this module
// starts its own nginx and backends and returns the report section.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { cpuSeconds } from "./lib/cpu.mjs";
import { writeNginxConf } from "./lib/nginx.mjs";
import { freePort, start, stop, waitForPort } from "./lib/proc.mjs";
import { wrk } from "./lib/wrk.mjs";

/**
 * The pairs: `tsgi` is an APP for `tsgi fcgi`, `native` the command that serves the same app on
 * node:http (or @hono/node-server). `needs` names a dist export the tsgi side cannot run without.
 */
const PAIRS = [
  {
    name: "tsgi",
    label: "tsgi's own hello vs bare node:http",
    routes: ["/"],
    tsgi: "examples/hello.mjs",
    native: ["bench/apps/node-hello.mjs"],
  },
  {
    name: "node-bare",
    label: "bare listener (fromNode) vs the same on node:http",
    routes: ["/"],
    tsgi: "bench/apps/node-adapted.mjs:bare",
    native: ["bench/apps/node-hello.mjs"],
    needs: "fromNode",
  },
  {
    name: "hono",
    label: "Hono (fromFetch) vs @hono/node-server",
    routes: ["/", "/json"],
    tsgi: "bench/apps/hono-hello.mjs:tsgi",
    native: ["bench/apps/native.mjs", "hono"],
    needs: "fromFetch",
  },
  {
    name: "hono-plain",
    label: "Hono (fromFetch, lightResponse: false) vs @hono/node-server",
    routes: ["/", "/json"],
    tsgi: "bench/apps/hono-hello.mjs:tsgiPlain",
    native: ["bench/apps/native.mjs", "hono"],
    needs: "fromFetch",
  },
  {
    name: "express",
    label: "Express 5 (fromNode) vs node:http",
    routes: ["/", "/json"],
    tsgi: "bench/apps/node-adapted.mjs:express",
    native: ["bench/apps/native.mjs", "express"],
    needs: "fromNode",
  },
  {
    name: "koa",
    label: "Koa 3 (fromNode) vs node:http",
    routes: ["/", "/json"],
    tsgi: "bench/apps/node-adapted.mjs:koa",
    native: ["bench/apps/native.mjs", "koa"],
    needs: "fromNode",
  },
];

export const ADAPTER_PAIRS = PAIRS.map((pair) => pair.name);

/** What keeps a pair from running, or undefined. */
async function missing(root, pair) {
  if (!pair.needs) return undefined;
  try {
    const dist = await import(pathToFileURL(join(root, "dist/index.js")).href);
    if (typeof dist[pair.needs] !== "function") return `${pair.needs} is not in dist/index.js`;
  } catch (err) {
    return `dist/index.js: ${err.message.split("\n")[0]} (npm run build)`;
  }
  return undefined;
}

/** Both sides' bodies for each route must be the same bytes, or the comparison means nothing. */
async function verify(pair, ports) {
  for (const route of pair.routes) {
    const bodies = [];
    for (const side of ["tsgi", "native"]) {
      const res = await fetch(`http://127.0.0.1:${ports[side]}${route}`);
      const body = await res.text();
      if (res.status !== 200)
        throw new Error(`${pair.name} ${side} GET ${route}: ${res.status} ${body.slice(0, 200)}`);
      bodies.push(body);
    }
    if (bodies[0] !== bodies[1])
      throw new Error(
        `${pair.name} GET ${route}: tsgi and native bodies differ: ${JSON.stringify(bodies)}`,
      );
  }
}

/** wrk on one site after a warm-up run: req/s, backend CPU per request, nginx CPU per request. */
async function measure(opts, url, backendPid, nginxPid) {
  if (opts.warmupS > 0) await wrk(url, { ...opts, durationS: opts.warmupS, warmupS: 0 });
  const nginxBefore = cpuSeconds(nginxPid);
  const result = await wrk(url, { ...opts, warmupS: 0, pid: backendPid });
  const nginxCpu = cpuSeconds(nginxPid) - nginxBefore;
  return { ...result, nginxCpuUs: (nginxCpu / result.requests) * 1e6 };
}

/**
 * Runs every pair: backends and one nginx started once, then `rounds` rounds in which each
 * route is measured on both sides, the side that goes first alternating. Returns markdown.
 */
export async function benchAdapters(ctx, opts, progress) {
  const dir = join(ctx.dir, "adapters");
  mkdirSync(dir, { recursive: true });
  const pairs = [];
  const sites = [];
  for (const pair of PAIRS) {
    if (opts.adapterPairs && !opts.adapterPairs.has(pair.name)) continue;
    const reason = await missing(ctx.root, pair);
    if (reason) {
      progress(`adapters: ${pair.name}: skipped: ${reason}`);
      pairs.push({ ...pair, reason: `skipped: ${reason}` });
      continue;
    }
    const entry = { ...pair, ports: {}, upstream: {} };
    for (const side of ["tsgi", "native"]) {
      entry.upstream[side] = await freePort();
      entry.ports[side] = await freePort();
      sites.push({
        name: `${pair.name}-${side}`,
        kind: side === "tsgi" ? "fastcgi" : "proxy",
        port: entry.ports[side],
        upstreamPort: entry.upstream[side],
        paramsFile: join(ctx.root, "nginx/tsgi_params"),
      });
    }
    pairs.push(entry);
  }
  const live = pairs.filter((pair) => !pair.reason);
  const children = [];
  let nginx;
  try {
    if (sites.length) {
      const conf = writeNginxConf(dir, sites);
      nginx = start(
        "nginx",
        ["-p", dir, "-e", join(dir, "nginx.log"), "-c", conf, "-g", "daemon off;"],
        {
          logPath: join(dir, "nginx-stdout.log"),
        },
      );
      children.push(nginx);
      await waitForPort("nginx", sites[0].port, nginx);
    }
    for (const pair of live) {
      try {
        pair.pids = {};
        for (const side of ["tsgi", "native"]) {
          const child = startSide(ctx, pair, side);
          children.push(child);
          await waitForPort(`${pair.name}-${side}`, pair.upstream[side], child);
          pair.pids[side] = child.pid;
        }
        await verify(pair, pair.ports);
      } catch (err) {
        progress(`adapters: ${pair.name}: failed: ${err.message}`);
        pair.reason = `failed: ${err.message.split("\n")[0]}`;
      }
    }
    const runs = new Map();
    for (let round = 1; round <= opts.rounds; round++) {
      progress(`adapters: round ${round} of ${opts.rounds}`);
      for (const pair of live) {
        if (pair.reason) continue;
        for (const route of pair.routes) {
          const sides = round % 2 ? ["tsgi", "native"] : ["native", "tsgi"];
          for (const side of sides) {
            const key = `${pair.name} ${route} ${side}`;
            const url = `http://127.0.0.1:${pair.ports[side]}${route}`;
            const result = await measure(opts, url, pair.pids[side], nginx.pid);
            progress(
              `adapters: ${key}: ${Math.round(result.rps)} req/s, ${result.cpuUs.toFixed(1)} µs CPU/req`,
            );
            if (!runs.has(key)) runs.set(key, []);
            runs.get(key).push(result);
          }
        }
      }
    }
    return adaptersMarkdown(pairs, runs, opts);
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}

function startSide(ctx, pair, side) {
  const name = `adapters-${pair.name}-${side}`;
  if (side === "tsgi") {
    const args = [
      "dist/cli/main.js",
      "fcgi",
      pair.tsgi,
      "--listen",
      `127.0.0.1:${pair.upstream.tsgi}`,
    ];
    return start(process.execPath, args, { cwd: ctx.root, logPath: ctx.log(name) });
  }
  const args = [...pair.native, String(pair.upstream.native)];
  return start(process.execPath, args, { cwd: ctx.root, logPath: ctx.log(name) });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const fmtUs = (n) => `${n.toFixed(1)} µs`;

/** The table: one row per app and route, tsgi's numbers over native's as ratios. */
export function adaptersMarkdown(pairs, runs, opts) {
  const head = [
    "| app, route | tsgi FastCGI req/s | native proxy_pass req/s | req/s ratio | backend CPU/req tsgi | native | **CPU ratio** (goal <= 1.0) | nginx CPU/req tsgi | native |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const rows = [];
  for (const pair of pairs) {
    if (pair.reason) {
      rows.push(`| ${pair.label} | ${pair.reason} | | | | | | | |`);
      continue;
    }
    for (const route of pair.routes) {
      const t = runs.get(`${pair.name} ${route} tsgi`);
      const n = runs.get(`${pair.name} ${route} native`);
      if (!t || !n) continue;
      const rps = [median(t.map((r) => r.rps)), median(n.map((r) => r.rps))];
      const cpu = [median(t.map((r) => r.cpuUs)), median(n.map((r) => r.cpuUs))];
      const ngx = [median(t.map((r) => r.nginxCpuUs)), median(n.map((r) => r.nginxCpuUs))];
      const errors = [...t, ...n].reduce((sum, r) => sum + r.errors, 0);
      rows.push(
        [
          `| ${pair.label}, \`GET ${route}\`${errors ? ` (${errors} errors)` : ""}`,
          fmtInt(rps[0]),
          fmtInt(rps[1]),
          `${(rps[0] / rps[1]).toFixed(2)}x`,
          fmtUs(cpu[0]),
          fmtUs(cpu[1]),
          `**${(cpu[0] / cpu[1]).toFixed(2)}x**`,
          fmtUs(ngx[0]),
          `${fmtUs(ngx[1])} |`,
        ].join(" | "),
      );
    }
  }
  const method = [
    `One nginx worker in front of every backend; wrk -t1 -c32, ${opts.warmupS} s warm-up, ${opts.durationS} s measured,`,
    `${opts.rounds} round(s), the two sides of a row alternating which goes first; medians.`,
    "tsgi side: `tsgi fcgi APP` behind `fastcgi_pass` with `fastcgi_keep_conn on` and tsgi's",
    '`nginx/tsgi_params` (SCRIPT_NAME "", PATH_INFO the path); native side: the',
    "same app on node:http (Express, Koa) or @hono/node-server behind `proxy_pass` with HTTP/1.1 and",
    "upstream `keepalive 32`. Backend CPU/req is the backend process's utime+stime over the measured",
    "run divided by its requests; ratios are tsgi over native (req/s: higher is better for tsgi,",
    "CPU: lower is). nginx CPU/req, measured the same way, shows what each protocol costs nginx.",
  ].join("\n");
  return `${method}\n\n${[...head, ...rows].join("\n")}`;
}
