import type { Socket } from "node:net";
import type { WorkerOpsReport } from "../ops/options.js";
import { listenQueue } from "../status/listen-queue.js";
import { renderQuery } from "../status/page.js";
import {
  countProcesses,
  idleWorker,
  type StatusSnapshot,
  type WorkerSnapshot,
  type WorkerState,
} from "../status/snapshot.js";
import { heartbeatInterval } from "./heartbeat.js";
import { sendMessage } from "./ipc.js";
import type { Master } from "./master.js";
import { peekFirstRequest } from "./status-peek.js";
import type { WorkerInfo } from "./worker-info.js";

export interface MasterOperationsOptions {
  statusPath?: string;
  pingPath?: string;
  pool?: string;
  /** Receives the access-log lines the workers send (one writer for all, issue 10 §4). */
  accessLog?: (lines: string) => void;
}

/**
 * The master's side of the status page, ping page and access log in `--workers` mode. Workers
 * send an `ops` report with each heartbeat (ops-worker.ts); the master keeps the last one in
 * the worker's record and builds the page from those records and its own (generation,
 * reloads, respawns), so it answers while every worker is blocked. Messages: `ops {report}`,
 * `status-request {id, query}` (a status request that reached a worker over a kept-alive
 * connection; answered with `status-page {id, contentType, body}`), `access-log {lines}`.
 */
export function attachMasterOperations(master: Master, options: MasterOperationsOptions): void {
  const view = new MasterStatus(master, options.pool ?? "tsgi");
  master.messages
    .on("ops", (worker, message) => view.report(worker, message.report as WorkerOpsReport))
    .on("status-request", (worker, message) => {
      const page = renderQuery(view.snapshot(), String(message.query ?? ""));
      sendMessage(worker.child, { kind: "status-page", id: message.id, ...page });
    })
    .on("access-log", (_worker, message) => options.accessLog?.(String(message.lines ?? "")));
  master.on("worker-exit", (worker: WorkerInfo) => view.retire(worker));
  // A worker killed for --worker-timeout was blocked longer than any slow-log threshold, and
  // its own count of that request never left it.
  master.on("worker-timeout", () => view.blockedKill());
  const { statusPath, pingPath } = options;
  if (!statusPath && !pingPath) return;
  const page = (path: string, query: string) => {
    if (path === statusPath) return renderQuery(view.snapshot(), query);
    if (path === pingPath) return { contentType: "text/plain; charset=utf-8", body: "pong\n" };
    return null;
  };
  master.intercept = (socket: Socket) => {
    peekFirstRequest(socket, page, (peeked, unread) => master.dispatch(peeked, unread));
    return true;
  };
}

const REPORT = "ops";

class MasterStatus {
  readonly #master: Master;
  readonly #pool: string;
  /** What workers that are gone had counted. */
  #retiredRequests = 0;
  #retiredSlow = 0;
  #maxActive = 0;
  #maxListenQueue = 0;
  /** Three missed heartbeats: the worker's event loop is stuck. */
  readonly #blockedAfter: number;

  constructor(master: Master, pool: string) {
    this.#master = master;
    this.#pool = pool;
    this.#blockedAfter = Math.max(1500, 3 * heartbeatInterval(master.options.workerTimeoutMs));
  }

  report(worker: WorkerInfo, report: WorkerOpsReport): void {
    worker.extra[REPORT] = report;
    let active = 0;
    for (const w of this.#master.workers.values()) {
      const state = (w.extra[REPORT] as WorkerOpsReport | undefined)?.worker.state;
      if (state === "Running") active++;
    }
    this.#maxActive = Math.max(this.#maxActive, active);
  }

  blockedKill(): void {
    this.#retiredSlow++;
  }

  retire(worker: WorkerInfo): void {
    const report = worker.extra[REPORT] as WorkerOpsReport | undefined;
    if (!report) return;
    this.#retiredRequests += report.worker.requests;
    this.#retiredSlow += report.slowRequests;
    worker.extra[REPORT] = undefined;
  }

  snapshot(): StatusSnapshot {
    const master = this.#master;
    const now = Date.now();
    const workers: WorkerSnapshot[] = [];
    let requests = this.#retiredRequests;
    let slow = this.#retiredSlow;
    for (const info of master.workers.values()) {
      const report = info.extra[REPORT] as WorkerOpsReport | undefined;
      requests += report?.worker.requests ?? 0;
      slow += report?.slowRequests ?? 0;
      workers.push(workerSnapshot(info, report, now, this.#blockedAfter));
    }
    const counts = countProcesses(workers);
    this.#maxActive = Math.max(this.#maxActive, counts.activeProcesses);
    const reload = master.lastReload;
    const queue = listenQueue(tcpPort(master.address()));
    this.#maxListenQueue = Math.max(this.#maxListenQueue, queue.queue);
    return {
      pool: this.#pool,
      processManager: "static",
      startTime: Math.floor(master.startedAt / 1000),
      acceptedConn: requests,
      listenQueue: queue.queue,
      maxListenQueue: this.#maxListenQueue,
      listenQueueLen: queue.length,
      ...counts,
      maxActiveProcesses: this.#maxActive,
      maxChildrenReached: 0,
      slowRequests: slow,
      generation: master.generation,
      lastReload: reload
        ? {
            time: Math.floor(reload.at / 1000),
            result:
              reload.ok === null ? "in progress" : reload.ok ? "ok" : `failed: ${reload.error}`,
          }
        : null,
      respawns: master.respawns,
      workers,
    };
  }
}

/** A worker's record: its last report, with what only the master knows (state, heartbeat age). */
function workerSnapshot(
  info: WorkerInfo,
  report: WorkerOpsReport | undefined,
  now: number,
  blockedAfter: number,
): WorkerSnapshot {
  const heartbeatAge = now - info.heartbeatAt;
  const base: WorkerSnapshot =
    report?.worker ??
    idleWorker({
      pid: info.pid,
      startTime: Math.floor(info.startedAt / 1000),
      requests: info.requests,
      rss: info.rss,
      generation: info.generation,
    });
  let state: WorkerState = base.state;
  if (info.state === "starting") state = "Starting";
  else if (info.state === "draining" || info.state === "retiring") state = "Draining";
  // No heartbeat for this long: its event loop is stuck (in a request, or in a timer).
  else if (heartbeatAge > blockedAfter) state = "Blocked";
  return {
    ...base,
    pid: info.pid,
    state,
    generation: info.generation,
    heartbeatAge,
    rss: info.rss || base.rss,
    requestDuration:
      state === "Blocked" && base.state === "Running"
        ? base.requestDuration + heartbeatAge * 1000
        : base.requestDuration,
  };
}

/** The port of "127.0.0.1:9000" or "[::1]:9000"; null for a Unix socket or an fd. */
function tcpPort(address: string): number | null {
  const match = /:(\d+)$/.exec(address);
  return match && !address.startsWith("/") ? Number(match[1]) : null;
}
