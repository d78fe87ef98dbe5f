import type { Server, Socket } from "node:net";
import type { Application } from "../../../core/types.js";
import type { FastCgiOptions } from "../limits.js";
import { createFastCgiWorkerServer, type FastCgiWorkerServer } from "../server.js";
import {
  type Channel,
  decodeBytes,
  encodeBytes,
  type Message,
  MessageTable,
  sendMessage,
} from "./ipc.js";
import { workerOperations } from "./ops-worker.js";
import { installWorkerSignals, reopenLogs } from "./signals.js";
import { WORKER_ENV } from "./spawn.js";

/** The worker process's own state, what its message handlers act on. */
export interface WorkerContext {
  readonly server: FastCgiWorkerServer;
  readonly id: number;
  requests: number;
  /** Set once it drains or stops: exits when that is done and every handed-back socket left. */
  leaving: boolean;
  /** Sockets on their way back to the master, and handed back in all. */
  sending: number;
  handedBack: number;
  done: boolean;
}

/** The handlers for messages from the master: a feature adds a kind here, from its own file. */
export const workerMessages = new MessageTable<WorkerContext, Message>();

const channel = process as unknown as Channel;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * A worker process (issue 10 §1): loads the app, runs the responder without a listener of its
 * own, serves the connections the master hands it, and says ready. A failure to load is one
 * line to the master and exit code 3. An uncaught exception or unhandled rejection is logged
 * with its stack; the worker asks to be replaced, takes no new connections, finishes what it
 * has and leaves.
 */
export async function runWorker(
  load: () => Promise<Application>,
  options: FastCgiOptions,
): Promise<void> {
  const id = Number(process.env[WORKER_ENV.id]);
  let context: WorkerContext | null = null;
  // SIGTERM while still loading: nothing to finish.
  installWorkerSignals(() => (context ? leave(context, "stop", 30_000) : process.exit(0)));
  let app: Application;
  try {
    app = await load();
  } catch (error) {
    const line = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    sendMessage(channel, { kind: "failed", error: line }, undefined, () => process.exit(3));
    return;
  }
  const limit = Number(process.env[WORKER_ENV.maxRequests]) || null;
  const ctx: WorkerContext = {
    server: createFastCgiWorkerServer(
      countRequests(app, limit, () => ctx),
      workerOperations(options),
    ),
    id,
    requests: 0,
    leaving: false,
    sending: 0,
    handedBack: 0,
    done: false,
  };
  context = ctx;
  process.on("message", (message, handle) => {
    workerMessages.dispatch(ctx, message, handle as Socket | Server | undefined);
  });
  // The master is gone (killed): finish what is in flight, then leave.
  process.on("disconnect", () => leave(ctx, "stop", 30_000));
  catchStrays(ctx);
  startHeartbeat(ctx);
  sendMessage(channel, { kind: "ready" });
}

function countRequests(
  app: Application,
  limit: number | null,
  ctx: () => WorkerContext,
): Application {
  return (environ, startResponse) => {
    const context = ctx();
    if (++context.requests === limit) {
      const reason = `served ${limit} requests (--max-requests)`;
      sendMessage(channel, { kind: "retire", reason, urgent: false });
    }
    return app(environ, startResponse);
  };
}

function startHeartbeat(ctx: WorkerContext): void {
  const every = Number(process.env[WORKER_ENV.heartbeatMs]) || 1000;
  const beat = () => {
    const { active, connections } = ctx.server.stats();
    const rss = process.memoryUsage.rss();
    sendMessage(channel, { kind: "heartbeat", active, connections, requests: ctx.requests, rss });
  };
  setInterval(beat, every).unref();
  beat();
}

function catchStrays(ctx: WorkerContext): void {
  const stray = (what: string) => (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`tsgi: worker ${ctx.id} (pid ${process.pid}): ${what}: ${text}`);
    if (ctx.leaving) return;
    sendMessage(channel, { kind: "retire", reason: `${what} (see the stack above)`, urgent: true });
  };
  process.on("uncaughtException", stray("uncaught exception"));
  process.on("unhandledRejection", stray("unhandled rejection"));
}

/** Drains (hand-off), stops (close after in flight) or closes (abort) the server, then exits. */
function leave(ctx: WorkerContext, how: "drain" | "stop" | "close", graceMs: number): void {
  if (ctx.leaving && how !== "close") return;
  ctx.leaving = true;
  const server = ctx.server;
  const finished =
    how === "drain"
      ? server.handOff((socket, unread) => handBack(ctx, socket, unread), graceMs)
      : how === "stop"
        ? server.shutdown(graceMs)
        : server.close();
  finished.then(
    () => {
      ctx.done = true;
      if (how === "drain") {
        log(
          `tsgi: worker ${ctx.id} (pid ${process.pid}): drained; ${ctx.handedBack} idle connection(s) handed on`,
        );
      }
      exitWhenSent(ctx);
    },
    () => process.exit(1),
  );
}

function handBack(ctx: WorkerContext, socket: Socket, unread: Buffer): void {
  ctx.sending++;
  ctx.handedBack++;
  sendMessage(channel, { kind: "handback", unread: encodeBytes(unread) }, socket, (error) => {
    ctx.sending--;
    if (error) socket.end(); // the master is gone: a FIN, after everything we wrote
    exitWhenSent(ctx);
  });
}

function exitWhenSent(ctx: WorkerContext): void {
  if (ctx.done && ctx.sending === 0) process.exit(0);
}

workerMessages
  .on("conn", (ctx, message, handle) => {
    if (handle && "remoteAddress" in handle) ctx.server.adopt(handle, decodeBytes(message.unread));
  })
  .on("listen", (ctx, _message, handle) => {
    if (handle && "listen" in handle) {
      ctx.server.listenShared(handle).catch((error: Error) => {
        log(`tsgi: worker ${ctx.id}: cannot accept on the shared socket: ${error.message}`);
      });
    }
  })
  .on("drain", (ctx, message) => leave(ctx, "drain", Number(message.graceMs) || 30_000))
  .on("stop", (ctx, message) => leave(ctx, "stop", Number(message.graceMs) || 30_000))
  .on("close", (ctx) => leave(ctx, "close", 0))
  .on("reopen-logs", () => reopenLogs(log));
