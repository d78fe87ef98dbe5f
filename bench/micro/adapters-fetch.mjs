// fromFetch's cost per request, in process, without sockets: the environ a FastCGI request for
// `GET /` gets behind nginx (tsgi_params, bench/micro/environ.mjs), run through the core (runApp) into a sink
// that drops everything. Each line is one app; the difference between lines is what a layer
// costs. Single-threaded wall time per request on an otherwise idle core is the CPU it costs.
//
//   npm run build && node bench/micro/adapters-fetch.mjs [--seconds 2] [--rounds 3]
//
// Lines:
//   tsgi hello               examples/hello.mjs (the floor: environ + core)
//   fromFetch Response       fromFetch(() => new Response("Hello, world!\n")) (lightResponse on)
//   fromFetch Hono /         fromFetch(hono) with c.text(...)
//   fromFetch Hono /json     fromFetch(hono) with c.json(...)
//   fromFetch Hono /async    the same JSON after an await: a real Response, light or not
//   plain: ...               the same with { lightResponse: false }: undici's Response as is
//   hono.fetch(new Request)  Hono alone, given a real Request, reading the body with text()
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
  },
});

const dist = await import(pathToFileURL(join(ROOT, "dist/index.js")).href);
const { default: hello } = await import(pathToFileURL(join(ROOT, "examples/hello.mjs")).href);
const { default: hono } = await import(pathToFileURL(join(ROOT, "bench/apps/hono-hello.mjs")).href);
const { runApp, fromFetch } = dist;
const { environFor, nullSink } = await import("./environ.mjs");

const viaCore = (app, path) => async () => {
  const outcome = await runApp(app, environFor(path), nullSink);
  if (outcome.kind !== "ok") throw new Error(`${path}: ${outcome.kind} ${outcome.error}`);
};

const PLAIN = { lightResponse: false };
const cases = [
  ["tsgi hello", viaCore(hello, "/")],
  [
    "fromFetch Response",
    viaCore(
      fromFetch(() => new Response("Hello, world!\n")),
      "/",
    ),
  ],
  ["fromFetch Hono /", viaCore(fromFetch(hono), "/")],
  ["fromFetch Hono /json", viaCore(fromFetch(hono), "/json")],
  ["fromFetch Hono /async", viaCore(fromFetch(hono), "/async")],
  [
    "plain: Response",
    viaCore(
      fromFetch(() => new Response("Hello, world!\n"), PLAIN),
      "/",
    ),
  ],
  ["plain: Hono /", viaCore(fromFetch(hono, PLAIN), "/")],
  ["plain: Hono /json", viaCore(fromFetch(hono, PLAIN), "/json")],
  [
    "hono.fetch(new Request)",
    async () => {
      const res = await hono.fetch(new Request("http://127.0.0.1:8080/"));
      await res.text();
    },
  ],
];

/** Requests per wall-clock second of fn, run back to back for `seconds`. */
async function rate(fn, seconds) {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await fn();
    count += 200;
  }
  return count / seconds;
}

const seconds = Number(opts.seconds);
const rounds = Number(opts.rounds);
const results = new Map(cases.map(([name]) => [name, []]));
for (const [, fn] of cases) await rate(fn, 0.5); // warm-up: JIT, inline caches
for (let round = 0; round < rounds; round++) {
  for (const [name, fn] of cases) results.get(name).push(1e6 / (await rate(fn, seconds)));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const floor = median(results.get("tsgi hello"));
for (const [name, us] of results) {
  const m = median(us);
  const extra = name === "tsgi hello" ? "" : ` (+${(m - floor).toFixed(2)} µs over tsgi hello)`;
  console.log(`${name.padEnd(24)} ${m.toFixed(2)} µs/req${extra}`);
}
