import type { FastCgiOptions } from "../limits.js";
import type { RenderedStatus } from "../status/render.js";
import { type Channel, sendMessage } from "./ipc.js";
import { WORKER_ENV } from "./spawn.js";
import { workerMessages } from "./worker.js";

const channel = process as unknown as Channel;
/** A master that does not answer within this is stuck or gone: the worker answers 503. */
const ASK_TIMEOUT_MS = 5000;

const waiting = new Map<number, (page: RenderedStatus) => void>();
let nextId = 1;

/**
 * A worker's operations options (ops-master.ts has the other side): its status page comes from
 * the master, and it reports its record to the master with each heartbeat. Without a status
 * page, ping page or slow log nothing changes.
 */
export function workerOperations(options: FastCgiOptions): FastCgiOptions {
  const wanted = options.statusPath || options.pingPath || options.slowLogMs || options.blockLogMs;
  if (!wanted) return options;
  // Registered here, not at import: worker.ts imports this module (a cycle).
  workerMessages.on("status-page", (_ctx, message) => {
    const resolve = waiting.get(Number(message.id));
    waiting.delete(Number(message.id));
    resolve?.({ contentType: String(message.contentType), body: String(message.body) });
  });
  return {
    ...options,
    remoteStatus: askMaster,
    report: (report) => sendMessage(channel, { kind: "ops", report }),
    reportEveryMs: Number(process.env[WORKER_ENV.heartbeatMs]) || 1000,
  };
}

function askMaster(query: string): Promise<RenderedStatus> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`the master did not answer within ${ASK_TIMEOUT_MS} ms`));
    }, ASK_TIMEOUT_MS);
    waiting.set(id, (page) => {
      clearTimeout(timer);
      resolve(page);
    });
    sendMessage(channel, { kind: "status-request", id, query });
  });
}

/**
 * The access log's writer in a worker: lines go to the master, which holds the one file.
 * Batched (one IPC message per tick, or every 64 KiB): a message per request would cost more
 * than the line.
 */
export function accessLogToMaster(): (line: string) => void {
  let lines = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (lines === "") return;
    sendMessage(channel, { kind: "access-log", lines });
    lines = "";
  };
  return (line) => {
    lines += line;
    if (lines.length >= 64 * 1024) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
