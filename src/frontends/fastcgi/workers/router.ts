import type { Socket } from "node:net";
import { hasHandle } from "../detach.js";
import { pickWorker } from "./dispatch.js";
import { heartbeatInterval } from "./heartbeat.js";
import { encodeBytes, sendMessage } from "./ipc.js";
import type { Master } from "./master.js";
import { reclaimInFlight } from "./orphans.js";
import type { WorkerInfo } from "./worker-info.js";

interface Conn {
  socket: Socket;
  unread: Buffer;
}

/**
 * Where the master's connections go (issue 10 §1): to the least busy ready worker, or held
 * (the socket paused, the web server's bytes in the kernel) until one is ready. A connection on
 * its way to a worker that dies goes to another one.
 */
export class Router {
  readonly #master: Master;
  readonly #pending: Conn[] = [];
  readonly #lastSent = new Map<number, number>();
  #sent = 0;

  constructor(master: Master) {
    this.#master = master;
  }

  dispatch(socket: Socket, unread: Buffer): void {
    const master = this.#master;
    if (master.state === "stopping") {
      socket.on("error", () => {});
      socket.end(); // a FIN: nothing was read from it that it would miss
      return;
    }
    const worker = pickWorker(master.workers.values(), this.#lastSent, this.#staleBefore());
    if (worker === null) {
      this.#pending.push({ socket, unread });
      return;
    }
    worker.connections++;
    this.#lastSent.set(worker.id, ++this.#sent);
    const conn = { socket, unread };
    sending(worker).add(conn);
    sendMessage(worker.child, { kind: "conn", unread: encodeBytes(unread) }, socket, (error) => {
      sending(worker).delete(conn);
      if (error) this.#undelivered(worker, conn);
    });
  }

  /** A worker became ready: what waited for one goes out. */
  flushPending(): void {
    while (this.#pending.length > 0 && pickWorker(this.#master.workers.values()) !== null) {
      const next = this.#pending.shift();
      if (next) this.dispatch(next.socket, next.unread);
    }
  }

  /** The master stops: what waited for a worker gets a FIN. */
  closePending(): void {
    for (const { socket } of this.#pending.splice(0)) socket.end();
  }

  /** A worker exited: connections still on their way to it go to another one. */
  workerGone(worker: WorkerInfo): void {
    this.#lastSent.delete(worker.id);
    const orphans = [...sending(worker)];
    sending(worker).clear();
    const inFlight = reclaimInFlight(worker.child);
    if (inFlight) orphans.unshift(inFlight);
    for (const { socket, unread } of orphans) {
      if (hasHandle(socket)) this.dispatch(socket, unread);
    }
  }

  // Two heartbeats missed: the loop may be blocked; prefer the others (only with --worker-timeout,
  // which sets how often heartbeats come).
  #staleBefore(): number {
    const timeout = this.#master.options.workerTimeoutMs;
    return timeout ? Date.now() - 2 * heartbeatInterval(timeout) - 100 : Number.NEGATIVE_INFINITY;
  }

  // The send failed: another worker gets the connection if the socket is still ours (it failed
  // before it was written); the worker that failed gets no more.
  #undelivered(worker: WorkerInfo, conn: Conn): void {
    if (worker.state === "ready") worker.state = "retiring";
    if (hasHandle(conn.socket)) this.dispatch(conn.socket, conn.unread);
  }
}

/**
 * Connections on their way to `worker`: Node queues a handle until the one before it was
 * acknowledged, and a worker that dies meanwhile leaves them with us, still open.
 */
function sending(worker: WorkerInfo): Set<Conn> {
  worker.extra.sending ??= new Set<Conn>();
  return worker.extra.sending as Set<Conn>;
}
