import { EventEmitter } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { type ListenAddress, parseListenAddress } from "../addresses.js";
import { detachSocket } from "../detach.js";
import { listenAt, listeningAddress } from "../listen.js";
import { Backoff } from "./backoff.js";
import { heartbeatInterval, watchHeartbeats } from "./heartbeat.js";
import { MessageTable, sendMessage, type WorkerMessage } from "./ipc.js";
import { registerCoreMessages } from "./master-messages.js";
import type { MasterOptions } from "./options.js";
import { requestLimit } from "./recycle.js";
import { Rotation } from "./reload.js";
import { Router } from "./router.js";
import { forkSelf, WORKER_ENV } from "./spawn.js";
import { newWorkerInfo, type WorkerInfo, type WorkerState } from "./worker-info.js";

/** What the master records of the last SIGHUP, for the log and the status page. */
export interface ReloadResult {
  at: number;
  generation: number;
  ok: boolean | null;
  error?: string;
}

/**
 * The `--workers N` master (issue 10 §1): holds the one listening socket, never loads the app,
 * runs N workers, and hands each connection to the ready worker with the fewest requests in
 * flight. Replacing workers (reload, recycling) lives in reload.ts, the messages it understands
 * in master-messages.ts (and whatever other files register in `master.messages`), signals in
 * signals.ts.
 *
 * Events: "worker-ready" (info), "worker-exit" (info, code, signal), "reload" (ReloadResult),
 * "stopping", "reopen-logs".
 */
export class Master extends EventEmitter {
  readonly options: MasterOptions;
  readonly workers = new Map<number, WorkerInfo>();
  /** The handlers for messages from workers: add a kind here, in its own file. */
  readonly messages = new MessageTable<WorkerInfo, WorkerMessage>();
  readonly startedAt = Date.now();
  readonly rotation: Rotation;
  /** Workers wanted (SIGTTIN/SIGTTOU move it). */
  target: number;
  generation = 0;
  /** Workers started to replace one that died. */
  respawns = 0;
  /** Connections accepted (PHP-FPM's "accepted conn"). */
  accepted = 0;
  lastReload: ReloadResult | null = null;
  /** Run before a worker whose heartbeat stopped is killed (heartbeat.ts), for a stack capture. */
  readonly beforeTimeoutKill: Array<(worker: WorkerInfo) => void | Promise<void>> = [];
  state: "starting" | "running" | "stopping" = "starting";
  readonly #server: Server;
  #where: ListenAddress | null = null;
  #nextId = 1;
  readonly #backoff = new Backoff();
  readonly router: Router;
  /**
   * Sees each new connection first (a status page the master answers itself): returns true when
   * it took the socket, and then passes it on with `dispatch(socket, bytesItRead)` if it is not
   * its own.
   */
  intercept: ((socket: Socket) => boolean) | null = null;
  #everReady = false;
  #watchdog: NodeJS.Timeout | null = null;
  readonly #readyWaiters = new Map<number, (error: string | null) => void>();

  constructor(options: MasterOptions) {
    super();
    this.options = options;
    this.target = options.workers;
    this.rotation = new Rotation(this);
    this.router = new Router(this);
    registerCoreMessages(this);
    this.#server = createServer({ pauseOnConnect: true }, (socket) => {
      this.accepted++;
      if (!this.intercept?.(socket)) this.dispatch(socket, Buffer.alloc(0));
    });
    this.#server.on("error", (error) => this.log(`tsgi: master: server error: ${error.message}`));
  }

  log(line: string): void {
    (this.options.log ?? defaultLog)(line);
  }

  /** Binds or inherits the socket, starts N workers, resolves once all are ready. */
  async start(address?: string | { fd: number }): Promise<void> {
    await this.listen(address);
    await this.run();
  }

  /** Binds or inherits the one listening socket. */
  async listen(address?: string | { fd: number }): Promise<void> {
    const where = parseListenAddress(address);
    await listenAt(this.#server, where, this.options.socketMode ?? 0o660);
    this.#where = where;
  }

  /** Starts N workers; resolves once all are ready, rejects with the app's error if none can load it. */
  async run(): Promise<void> {
    for (let i = 0; i < this.target; i++) this.spawn();
    if (this.options.workerTimeoutMs) {
      this.#watchdog = watchHeartbeats(this, this.options.workerTimeoutMs);
    }
    // Serving once all N are ready; failing when the app cannot load in any (issue 10 §1).
    await new Promise<void>((resolve, reject) => {
      let ready = 0;
      const onReady = () => {
        if (++ready < this.target) return;
        this.off("worker-ready", onReady);
        resolve();
      };
      this.on("worker-ready", onReady);
      this.once("boot-failed", (error: string) => {
        this.off("worker-ready", onReady);
        reject(new Error(error));
      });
    });
    this.state = "running";
  }

  address(): string {
    return listeningAddress(this.#server, this.#where);
  }

  /** The listening socket (for `--balance kernel`, sent to each ready worker). */
  get server(): Server {
    return this.#server;
  }

  /** Starts one worker of the current generation; ready() tells when it is serving. */
  spawn(): WorkerInfo {
    const id = this.#nextId++;
    const limit = requestLimit(this.options);
    const env: Record<string, string> = {
      [WORKER_ENV.id]: String(id),
      [WORKER_ENV.generation]: String(this.generation),
      [WORKER_ENV.heartbeatMs]: String(heartbeatInterval(this.options.workerTimeoutMs)),
    };
    if (limit !== null) env[WORKER_ENV.maxRequests] = String(limit);
    const child = (this.options.fork ?? forkSelf)(env);
    const worker = newWorkerInfo(id, child, this.generation, limit);
    this.workers.set(id, worker);
    child.on("message", (message, handle) => {
      this.messages.dispatch(worker, message, handle as Socket | undefined);
    });
    child.on("error", (error) => this.log(`tsgi: worker ${id}: ${error.message}`));
    child.once("exit", (code, signal) => this.#exited(worker, code, signal));
    return worker;
  }

  /** Resolves null once `worker` is ready, or the reason it never will be. */
  ready(worker: WorkerInfo): Promise<string | null> {
    if (worker.state !== "starting") return Promise.resolve(worker.readyAt ? null : "gone");
    return new Promise((resolve) => this.#readyWaiters.set(worker.id, resolve));
  }

  /** Called by the "ready" and "failed" handlers. */
  settle(worker: WorkerInfo, error: string | null): void {
    if (error === null && worker.state === "starting") {
      worker.state = "ready";
      worker.readyAt = Date.now();
      worker.heartbeatAt = worker.readyAt;
      this.#everReady = true;
      if (this.options.balance === "kernel")
        sendMessage(worker.child, { kind: "listen" }, this.#server);
      this.emit("worker-ready", worker);
    } else if (error !== null) {
      worker.extra.loadError = error;
      if (!this.#everReady && this.state === "starting") this.emit("boot-failed", error);
    }
    const waiter = this.#readyWaiters.get(worker.id);
    this.#readyWaiters.delete(worker.id);
    waiter?.(error);
    if (error === null) this.router.flushPending();
  }

  /** Hands a connection (and the bytes already read from it) to the least busy ready worker. */
  dispatch(socket: Socket, unread: Buffer): void {
    this.router.dispatch(socket, unread);
  }

  /** A connection handed back by a draining worker: on to another one. */
  takeBack(socket: Socket, unread: Buffer): void {
    // Received sockets start reading at once: stop before the loop reads anything.
    const more = detachSocket(socket);
    this.dispatch(socket, more.length > 0 ? Buffer.concat([unread, more]) : unread);
  }

  /** Tells `worker` to stop taking connections, hand idle ones back and exit when done. */
  drain(worker: WorkerInfo): void {
    if (worker.state === "draining" || worker.state === "stopping") return;
    this.setState(worker, "draining");
    sendMessage(worker.child, { kind: "drain", graceMs: this.options.graceMs });
    // The worker bounds its drain by graceMs; this bounds a worker that cannot.
    const kill = setTimeout(() => worker.child.kill("SIGKILL"), this.options.graceMs + 10_000);
    kill.unref();
    worker.child.once("exit", () => clearTimeout(kill));
  }

  setState(worker: WorkerInfo, state: WorkerState): void {
    worker.state = state;
  }

  /** SIGHUP: a rolling reload (reload.ts). */
  reload(): void {
    if (this.state !== "running") return;
    this.generation++;
    this.rotation.reload(this.generation);
  }

  /** SIGTTIN (+1) / SIGTTOU (-1). */
  resize(delta: number): void {
    if (this.state !== "running") return;
    const target = Math.max(1, this.target + delta);
    if (target === this.target) return;
    this.target = target;
    this.log(`tsgi: master: ${target} worker(s) wanted`);
    if (delta > 0) {
      this.spawn();
      return;
    }
    const live = [...this.workers.values()].filter(
      (w) => w.state === "ready" || w.state === "starting",
    );
    const newest = live.at(-1);
    if (!newest || live.length <= target) return;
    if (newest.state === "ready") this.drain(newest);
    else {
      newest.state = "draining"; // still loading: it has nothing to finish
      newest.child.kill("SIGTERM");
    }
  }

  /** SIGTERM (graceful) or SIGINT/SIGQUIT (fast): stop every worker, then exit. */
  stop(graceful: boolean): void {
    const already = this.state === "stopping";
    this.state = "stopping";
    if (!already) {
      this.emit("stopping");
      this.#server.close();
      if (this.#watchdog) clearInterval(this.#watchdog);
      this.router.closePending();
    }
    const graceMs = this.options.graceMs;
    for (const worker of this.workers.values()) {
      worker.state = "stopping";
      if (graceful) sendMessage(worker.child, { kind: "stop", graceMs });
      else sendMessage(worker.child, { kind: "close" });
    }
    const hard = setTimeout(
      () => {
        for (const worker of this.workers.values()) worker.child.kill("SIGKILL");
      },
      graceful ? graceMs + 5000 : 3000,
    );
    hard.unref();
    this.#exitWhenEmpty();
  }

  #exitWhenEmpty(): void {
    if (this.state === "stopping" && this.workers.size === 0) this.emit("stopped");
  }

  #exited(worker: WorkerInfo, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(worker.id);
    this.router.workerGone(worker);
    const wasStarting = worker.state === "starting";
    if (wasStarting)
      this.settle(
        worker,
        String(worker.extra.loadError ?? `exited (${signal ?? code}) before it was ready`),
      );
    this.emit("worker-exit", worker, code, signal);
    if (this.state === "stopping") {
      this.#exitWhenEmpty();
      return;
    }
    const expected = worker.state === "draining";
    if (!expected) {
      const how = signal ? `signal ${signal}` : `code ${code}`;
      this.log(`tsgi: worker ${worker.id} (pid ${worker.pid}) died (${how}); replacing it`);
    }
    if (worker.extra.rotation && worker.readyAt === null) return; // a failed replacement: rotation decides
    const served = worker.readyAt === null ? 0 : Date.now() - worker.readyAt;
    const delay = expected ? 0 : this.#backoff.next(served);
    const timer = setTimeout(() => this.ensureCapacity(!expected), delay);
    timer.unref();
  }

  /** Starts workers until `target` are starting or serving. */
  ensureCapacity(respawn = false): void {
    if (this.state === "stopping") return;
    let live = 0;
    for (const w of this.workers.values())
      if (w.state === "starting" || w.state === "ready") live++;
    for (; live < this.target; live++) {
      if (respawn) this.respawns++;
      this.spawn();
    }
  }
}

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}
