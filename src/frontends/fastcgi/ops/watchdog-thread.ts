/**
 * The watchdog thread's code, run with `new Worker(code, { eval: true })` so it needs no build
 * entry of its own. It watches a counter the main thread bumps on a timer; when the counter has
 * not moved for `thresholdMs` the main thread's event loop is blocked, and the thread takes its
 * JavaScript stack through the inspector (Session.connectToMainThread, Debugger.pause: V8 runs
 * inspector messages on an interrupt, even inside a synchronous loop), asks the main thread
 * (still paused) which requests are in flight, resumes it, and writes one entry. A blocked
 * main thread cannot write, so this thread writes the entry itself.
 *
 * workerData: { beats: SharedArrayBuffer, id, thresholdMs, checkMs, file: string | null, registry }
 */
export const WATCHDOG_THREAD = String.raw`
"use strict";
const { workerData } = require("node:worker_threads");
const inspector = require("node:inspector");
const fs = require("node:fs");
const { id, thresholdMs, checkMs, file, registry } = workerData;
const beats = new Int32Array(workerData.beats);
let seen = Atomics.load(beats, 0);
let changedAt = Date.now();
let reported = false;

setInterval(() => {
  const now = Date.now();
  const beat = Atomics.load(beats, 0);
  if (beat !== seen) {
    seen = beat;
    changedAt = now;
    reported = false;
    return;
  }
  if (reported || now - changedAt < thresholdMs) return;
  reported = true;
  report(changedAt);
}, checkMs);

function write(text) {
  try {
    if (file === null) fs.writeSync(2, text);
    else fs.appendFileSync(file, text);
  } catch {}
}

function frameLine(frame, urls) {
  const name = frame.functionName || "<anonymous>";
  const url = frame.url || urls.get(frame.location.scriptId) || "<unknown>";
  const where = url + ":" + (frame.location.lineNumber + 1) + ":" + (frame.location.columnNumber + 1);
  return "    at " + name + " (" + where + ")";
}

function report(since) {
  const session = new inspector.Session();
  // CallFrame.url is deprecated and empty on Node 20: scriptParsed (sent for every script on
  // Debugger.enable) maps each scriptId to its URL.
  const urls = new Map();
  session.on("Debugger.scriptParsed", (message) => urls.set(message.params.scriptId, message.params.url));
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params || {}, (error, result) => (error ? reject(error) : resolve(result))));
  const giveUp = setTimeout(() => done(null, "the main thread did not pause"), 5000);
  let finished = false;
  function done(frames, why, requests) {
    if (finished) return;
    finished = true;
    clearTimeout(giveUp);
    const now = Date.now();
    const head = "[" + new Date(now).toISOString() + "] slow request: pid " + process.pid +
      ", " + (requests || "no request in flight") + ", event loop blocked for " +
      ((now - since) / 1000).toFixed(2) + " s";
    const stack = frames ? frames.map((frame) => frameLine(frame, urls)).join("\n") : "    (no stack: " + why + ")";
    write(head + "\n" + stack + "\n");
    post("Debugger.resume").catch(() => {}).finally(() => {
      post("Debugger.disable").catch(() => {}).finally(() => session.disconnect());
    });
  }
  try {
    session.connectToMainThread();
  } catch (error) {
    done(null, error.message);
    return;
  }
  session.once("Debugger.paused", (message) => {
    const frames = message.params.callFrames;
    // Unblocked meanwhile: the pause caught whatever ran next, not what blocked.
    if (Atomics.load(beats, 0) !== seen) return done(null, "the block ended before the pause");
    const expression = "globalThis[Symbol.for(" + JSON.stringify(registry) + ")]?.get(" + id + ")?.()";
    post("Debugger.evaluateOnCallFrame", { callFrameId: frames[0].callFrameId, expression, returnByValue: true })
      .then((answer) => done(frames, "", answer.result && answer.result.value))
      .catch(() => done(frames, ""));
  });
  post("Debugger.enable").then(() => post("Debugger.pause")).catch((error) => done(null, error.message));
}
`;
