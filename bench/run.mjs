#!/usr/bin/env node
// tsgi's benchmark (issue "tsgi 0.2" §4): hello world behind nginx against the FastCGI peers,
// streaming throughput and memory, and (if present) the CGI start-up bench. One run, one report.
// Usage: node bench/run.mjs [--duration S] [--rounds N] [--only NAME,...] [--quick] [--svg PATH]
//        [--out PATH] [--keep]
// The report (markdown) goes to stdout, progress to stderr.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ADAPTER_PAIRS, benchAdapters } from "./adapters.mjs";
import { goFcgi, helloBackends, tsgiBackend, which } from "./lib/backends.mjs";
import { cpuSeconds } from "./lib/cpu.mjs";
import { writeNginxConf } from "./lib/nginx.mjs";
import { freePort, run, start, stop, stopAll, waitForPort } from "./lib/proc.mjs";
import * as report from "./lib/report.mjs";
import { download, slowReader } from "./lib/stream.mjs";
import { workersGoalsMarkdown } from "./lib/workers.mjs";
import { wrk } from "./lib/wrk.mjs";

const HELP = `node bench/run.mjs [options]
  --duration S     seconds per wrk run (default 3, after a 1 s warm-up)
  --only A,B       run only these: nginx, tsgi, bare, node-fastcgi, php-fpm, php-fpm-close,
                   go, tsgi-workers, node-http (hello world), stream (throughput + slow-reader memory),
                   cgi (bench/cgi-startup.mjs), adapters (every framework via tsgi vs native
                   proxy_pass), or one adapters pair: adapters:tsgi, adapters:node-bare,
                   adapters:hono, adapters:hono-plain, adapters:express, adapters:koa
  --rounds N       hello-world rounds, backends interleaved, the median counts (default 3)
  --quick          1 s runs, 1 round, 32 MiB streams, one run each: a smoke test
  --svg PATH       also write a bar chart of the hello-world req/s
  --out PATH       also write the report (markdown) to PATH
  --keep           keep the temp dir (configs, logs)`;

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const HELLO = "Hello, world!\n";
const MIB = 1024 * 1024;
const SLOW_RATE = "40M"; // curl --limit-rate: 40 MiB/s, far below what nginx and tsgi can do
const RSS_LIMIT_MIB = 100;

class UsageError extends Error {}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      only: { type: "string" },
      rounds: { type: "string" },
      quick: { type: "boolean", default: false },
      svg: { type: "string" },
      out: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick;
  const durationS = Number(values.duration ?? (quick ? 1 : 3));
  if (!Number.isInteger(durationS) || durationS < 1)
    throw new UsageError(
      `--duration must be a whole number of seconds >= 1, got ${values.duration}`,
    );
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new UsageError(`--rounds must be a whole number >= 1, got ${values.rounds}`);
  const only = values.only ? new Set(values.only.split(",").map((s) => s.trim())) : undefined;
  const pairs = ADAPTER_PAIRS.map((name) => `adapters:${name}`);
  const known = [...helloBackends().map((b) => b.name), "stream", "cgi", "adapters", ...pairs];
  for (const name of only ?? []) {
    if (!known.includes(name)) throw new UsageError(`--only: unknown name ${JSON.stringify(name)}`);
  }
  return {
    ...values,
    durationS,
    rounds,
    warmupS: 1,
    streamBytes: (quick ? 32 : 256) * MIB,
    streamRuns: quick ? 1 : 5,
    wants: (name) => !only || only.has(name),
    adapters: !only || [...only].some((name) => name.startsWith("adapters")),
    adapterPairs:
      only && !only.has("adapters")
        ? new Set([...only].filter((n) => n.startsWith("adapters:")).map((n) => n.slice(9)))
        : undefined,
  };
}

const progress = (line) => process.stderr.write(`bench: ${line}\n`);

/** The tail of a backend's log, for the reason a backend failed. */
function logTail(path) {
  if (!existsSync(path)) return "";
  return readFileSync(path, "utf8").trim().split("\n").slice(-5).join("\n");
}

/** GET url once; throws unless it answers 200 with exactly the hello-world body. */
async function verifyHello(url) {
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200 || body !== HELLO)
    throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body.slice(0, 120))}`);
}

/** Starts backend on its upstream port and waits until it accepts; returns the child. */
async function startBackend(ctx, backend, port) {
  const child = backend.start(ctx, port);
  try {
    await waitForPort(backend.name, port, child);
  } catch (err) {
    await stop(child);
    const tail = logTail(ctx.log(backend.name));
    throw new Error(`${err.message}${tail ? `: ${tail}` : ""}`);
  }
  return child;
}

async function benchHello(ctx, opts, backend, site) {
  const row = { name: backend.name, label: backend.label };
  const skip = await backend.prepare(ctx);
  if (skip) {
    progress(`${backend.name}: skipped: ${skip}`);
    return { ...row, reason: `skipped: ${skip}` };
  }
  let child;
  try {
    if (backend.start) child = await startBackend(ctx, backend, site.upstreamPort);
    const url = `http://127.0.0.1:${site.port}/`;
    await verifyHello(url);
    progress(`${backend.name}: wrk ${opts.durationS} s`);
    const pid = child?.pid ?? ctx.nginxPid;
    const result = await wrk(url, { ...opts, pid });
    const cpu = `${result.cpuUs.toFixed(1)} µs CPU/req`;
    progress(`${backend.name}: ${Math.round(result.rps)} req/s, p99 ${result.p99Ms} ms, ${cpu}`);
    return { ...row, ...result };
  } catch (err) {
    progress(`${backend.name}: failed: ${err.message}`);
    return { ...row, reason: `failed: ${err.message.split("\n")[0]}` };
  } finally {
    if (child) await stop(child);
  }
}

/** Starts backend on port: { child }, or { reason } when it is missing or will not start. */
async function startPeer(ctx, backend, port) {
  const skip = await backend.prepare(ctx);
  if (skip) return { reason: `skipped: ${skip}` };
  try {
    return { child: await startBackend(ctx, backend, port) };
  } catch (err) {
    progress(`${backend.name}: failed: ${err.message}`);
    return { reason: `failed: ${err.message.split("\n")[0]}` };
  }
}

/**
 * Downloads every source `runs` times, one source after another and starting one further along
 * each run, so a busy spell on the machine or a warm page cache favours none of them. Adds to
 * each source its rates (MB/s) and nginx's CPU seconds, or the reason it failed.
 */
async function interleavedDownloads(ctx, sources, bytes, runs) {
  for (const source of sources) Object.assign(source, { rates: [], nginxCpu: 0 });
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < sources.length; k++) {
      const source = sources[(k + run) % sources.length];
      if (source.reason) continue;
      const before = cpuSeconds(ctx.nginxPid);
      try {
        source.rates.push(await download(source.url, bytes));
      } catch (err) {
        progress(`stream: ${source.label}: ${err.message}`);
        source.reason = `failed: ${err.message.split("\n")[0]}`;
      }
      source.nginxCpu += cpuSeconds(ctx.nginxPid) - before;
    }
  }
}

const GIB = 1024 * MIB;

/** A source's row for the throughput table: its median and runs, nginx's CPU per GiB. */
function throughputRow(bytes) {
  return (source) => {
    if (source.reason) return { label: source.label, reason: source.reason };
    const sorted = [...source.rates].sort((a, b) => a - b);
    return {
      label: source.label,
      mbps: sorted[Math.floor(sorted.length / 2)],
      runs: source.rates,
      nginxCpuPerGiB: source.nginxCpu / ((source.rates.length * bytes) / GIB),
      peer: source.peer?.site,
      unbuffered: source.unbuffered,
    };
  };
}

/** Runs fn(child) with a fresh process of backend on port; a failure becomes { reason }. */
async function withBackend(ctx, backend, port, fn) {
  const skip = await backend.prepare(ctx);
  if (skip) return { reason: `skipped: ${skip}` };
  let child;
  try {
    child = await startBackend(ctx, backend, port);
    return await fn(child);
  } catch (err) {
    progress(`${backend.name}: failed: ${err.message}`);
    return { reason: `failed: ${err.message.split("\n")[0]}` };
  } finally {
    if (child) await stop(child);
  }
}

/**
 * The tsgi app that streams: examples/big.mjs (`?MIB`, 1 MiB chunks) when present, else this
 * bench's own fixture (`?size=BYTES`, 64 KiB chunks, as the Go peer writes).
 */
function streamApp(bytes) {
  if (existsSync(join(ROOT, "examples/big.mjs")))
    return { app: "examples/big.mjs", query: `?${bytes / MIB}`, chunk: "1 MiB" };
  return { app: "bench/apps/stream.mjs", query: `?size=${bytes}`, chunk: "64 KiB" };
}

async function benchStream(ctx, opts, ports) {
  const bytes = opts.streamBytes;
  const app = streamApp(bytes);
  const peers = [
    {
      backend: tsgiBackend("tsgi-stream", "tsgi", app.app),
      site: "tsgi-stream",
      label: `tsgi (${app.app}, ${app.chunk} chunks)`,
      query: app.query,
    },
    {
      backend: goFcgi,
      site: "go-stream",
      label: "Go net/http/fcgi (64 KiB writes)",
      query: `?size=${bytes}`,
    },
  ];
  const url = (peer, unbuffered) =>
    `http://127.0.0.1:${ports[unbuffered ? `${peer.site}-unbuf` : peer.site]}/${peer.query}`;

  progress(`stream: ${bytes / MIB} MiB x ${opts.streamRuns}, sources interleaved`);
  const live = [];
  const tp = [];
  try {
    for (const peer of peers) {
      const r = await startPeer(ctx, peer.backend, ports[`${peer.site}-up`]);
      if (r.reason) tp.push({ label: peer.label, reason: r.reason });
      else live.push({ ...peer, child: r.child });
    }
    const sources = [
      { label: "nginx static file", url: `http://127.0.0.1:${ports.static}/big.bin` },
    ];
    for (const unbuffered of [false, true]) {
      const config = unbuffered ? "fastcgi_buffering off" : "fastcgi_buffering on (nginx default)";
      for (const peer of live) {
        sources.push({
          label: `${peer.label}, ${config}`,
          url: url(peer, unbuffered),
          peer,
          unbuffered,
        });
      }
    }
    await interleavedDownloads(ctx, sources, bytes, opts.streamRuns);
    tp.unshift(...sources.map(throughputRow(bytes)));
  } finally {
    for (const peer of live) await stop(peer.child);
  }

  progress(`stream: slow reader at ${SLOW_RATE}/s`);
  const mem = [];
  const slow = async (peer, unbuffered, goal) => {
    const label = `${peer.label}, fastcgi_buffering ${unbuffered ? "off" : "on"}`;
    const r = await withBackend(ctx, peer.backend, ports[`${peer.site}-up`], (child) =>
      slowReader(url(peer, unbuffered), child.pid, bytes, SLOW_RATE),
    );
    mem.push({ label, goal, ...r });
  };
  await slow(peers[0], true, true);
  await slow(peers[0], false, true);
  await slow(peers[1], true, false);
  return { tp, mem };
}

async function benchCgi() {
  const script = join(ROOT, "bench/cgi-startup.mjs");
  if (!existsSync(script)) return "_skipped: bench/cgi-startup.mjs does not exist._";
  progress("cgi: node bench/cgi-startup.mjs");
  const { code, stdout, stderr } = await run(process.execPath, [script], { cwd: ROOT });
  if (code !== 0)
    return `_bench/cgi-startup.mjs failed (exit ${code}):_\n\n\`\`\`\n${stderr}\n\`\`\``;
  return `Output of \`node bench/cgi-startup.mjs\`:\n\n\`\`\`\n${stdout.trim()}\n\`\`\``;
}

async function main() {
  const opts = options();
  for (const tool of ["nginx", "wrk", "curl"]) {
    if (!(await which(tool))) throw new Error(`${tool} is not installed; the bench needs it`);
  }
  const dir = mkdtempSync(join(os.tmpdir(), "tsgi-bench-"));
  const ctx = { root: ROOT, dir, log: (name) => join(dir, `${name}.log`) };
  const cleanup = async () => {
    await stopAll();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => cleanup().then(() => process.exit(130)));
  try {
    return await bench(ctx, opts);
  } finally {
    await cleanup();
    if (opts.keep) progress(`kept ${dir}`);
  }
}

async function bench(ctx, opts) {
  const backends = helloBackends().filter((b) => opts.wants(b.name));
  const streaming = opts.wants("stream");
  const sites = [];
  const ports = {};
  for (const b of backends) {
    const site = { name: b.name, port: await freePort(), kind: b.kind ?? "fastcgi" };
    if (site.kind === "fastcgi" || site.kind === "proxy") site.upstreamPort = await freePort();
    Object.assign(site, b.site?.(ctx));
    sites.push(site);
  }
  if (streaming) {
    for (const name of ["tsgi-stream", "go-stream"]) {
      const upstreamPort = await freePort();
      ports[`${name}-up`] = upstreamPort;
      sites.push({ name, kind: "fastcgi", upstreamPort, port: await freePort() });
      sites.push({ name: `${name}-unbuf`, kind: "fastcgi", upstreamPort, buffering: false });
      sites.at(-1).port = await freePort();
    }
    sites.push({ name: "static", kind: "static", port: await freePort() });
    for (const s of sites) ports[s.name] = s.port;
    mkdirSync(join(ctx.dir, "static"));
    writeFileSync(join(ctx.dir, "static/big.bin"), Buffer.alloc(opts.streamBytes, 0x61));
  }

  const m = await report.machine();
  const sections = [`# tsgi benchmark\n\n${report.machineMarkdown(m, commandLine())}`];
  if (sites.length) {
    const conf = writeNginxConf(ctx.dir, sites);
    const nginx = start(
      "nginx",
      ["-p", ctx.dir, "-e", ctx.log("nginx"), "-c", conf, "-g", "daemon off;"],
      {
        logPath: ctx.log("nginx-stdout"),
      },
    );
    await waitForPort("nginx", sites[0].port, nginx);
    ctx.nginxPid = nginx.pid;
  }

  if (backends.length) {
    // Rounds interleave the backends so a busy spell on the machine hits all of them alike.
    const runs = backends.map(() => []);
    for (let round = 1; round <= opts.rounds; round++) {
      progress(`hello world, round ${round} of ${opts.rounds}`);
      for (const [i, b] of backends.entries()) {
        const site = sites.find((s) => s.name === b.name);
        runs[i].push(await benchHello(ctx, opts, b, site));
      }
    }
    const rows = runs.map(summarize);
    sections.push(`## Hello world\n\n${report.helloMarkdown(rows, opts)}`);
    sections.push(`### Goals (tsgi 0.2)\n\n${report.goalsMarkdown(rows)}`);
    sections.push(`### Goals (tsgi 0.5, workers)\n\n${workersGoalsMarkdown(rows)}`);
    if (opts.svg) writeFileSync(opts.svg, report.helloSvg(rows, m));
  }
  if (streaming) {
    const { tp, mem } = await benchStream(ctx, opts, ports);
    const sizeMiB = opts.streamBytes / MIB;
    sections.push(
      `## Streaming\n\n${report.throughputMarkdown(tp, { sizeMiB, runs: opts.streamRuns })}`,
    );
    sections.push(
      `### Memory with a slow reader\n\n${report.memoryMarkdown(mem, { sizeMiB, rate: `${SLOW_RATE}/s`, limitMiB: RSS_LIMIT_MIB })}`,
    );
  }
  if (opts.adapters) {
    const table = await benchAdapters(ctx, opts, progress);
    sections.push(`## Adapters: frameworks through tsgi FastCGI vs native proxy_pass\n\n${table}`);
  }
  if (opts.wants("cgi")) sections.push(`## CGI start-up\n\n${await benchCgi()}`);

  const text = `${sections.join("\n\n")}\n`;
  process.stdout.write(text);
  if (opts.out) writeFileSync(opts.out, text);
}

/**
 * The median round by req/s (its p99 with it), the median CPU/req, and the range; the last
 * failure when no round succeeded. With other work on the machine, a median of interleaved
 * rounds compares backends under like conditions better than one run or the best run.
 */
function summarize(results) {
  const ok = results.filter((r) => r.rps).sort((a, b) => a.rps - b.rps);
  if (!ok.length) return results.at(-1);
  const mid = (xs) => xs[Math.floor((xs.length - 1) / 2)];
  const cpu = ok.map((r) => r.cpuUs).sort((a, b) => a - b);
  return { ...mid(ok), cpuUs: mid(cpu), min: ok[0].rps, max: ok.at(-1).rps, rounds: ok.length };
}

function commandLine() {
  return ["node bench/run.mjs", ...process.argv.slice(2)].join(" ");
}

main().catch(async (err) => {
  if (err instanceof UsageError || err?.code?.startsWith?.("ERR_PARSE_ARGS")) {
    process.stderr.write(`bench: ${err.message}\n${HELP}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  await stopAll();
  process.exit(1);
});
