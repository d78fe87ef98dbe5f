import type { Application } from "../../../core/types.js";
import { listenQueue } from "../status/listen-queue.js";
import { pingApp, remoteStatusApp, requestPath, statusApp } from "../status/page.js";
import { countProcesses, type StatusSnapshot, type WorkerSnapshot } from "../status/snapshot.js";
import type { OperationsOptions } from "./options.js";
import { SlowLog, slowRequestEntry } from "./slow-log.js";
import { RequestTracker } from "./tracker.js";
import { Watchdog } from "./watchdog.js";

export type { OperationsOptions } from "./options.js";

/** What a server runs for its operator: the app it serves, the snapshot, and a stop. */
export interface Operations {
  readonly app: Application;
  readonly tracker: RequestTracker;
  /** This process as one worker record. */
  worker(): WorkerSnapshot;
  /** This process as a one-worker pool. */
  snapshot(): StatusSnapshot;
  stop(): void;
}

export interface OperationsContext {
  log: (line: string) => void;
  /** The listening TCP port (for the listen queue), or null. */
  port: () => number | null;
}

/**
 * The operator's side of one process: status and ping pages answered before the app, a
 * tracker of the requests in flight, and the slow log with its watchdog. Null when nothing was
 * asked for: the app runs unwrapped and nothing runs beside it.
 */
export function createOperations(
  app: Application,
  options: OperationsOptions,
  context: OperationsContext,
): Operations | null {
  const { statusPath, pingPath, slowLogMs, blockLogMs, report } = options;
  if (!statusPath && !pingPath && !slowLogMs && !blockLogMs && !report) return null;
  return new ProcessOperations(app, options, context);
}

class ProcessOperations implements Operations {
  readonly app: Application;
  readonly tracker = new RequestTracker();
  readonly #options: OperationsOptions;
  readonly #context: OperationsContext;
  readonly #startTime = Math.floor(Date.now() / 1000);
  readonly #watchdog: Watchdog | null = null;
  readonly #reporter: NodeJS.Timeout | null = null;
  #lag = 0;
  #maxListenQueue = 0;

  constructor(app: Application, options: OperationsOptions, context: OperationsContext) {
    this.#options = options;
    this.#context = context;
    const tracked = this.tracker.wrap(app);
    const status = !options.statusPath
      ? null
      : options.remoteStatus
        ? remoteStatusApp(options.remoteStatus)
        : statusApp(() => this.snapshot());
    this.app = (environ, startResponse) => {
      if (status !== null || options.pingPath) {
        const path = requestPath(environ);
        if (status !== null && path === options.statusPath) return status(environ, startResponse);
        if (path === options.pingPath) return pingApp(environ, startResponse);
      }
      return tracked(environ, startResponse);
    };
    this.tracker.rss = process.memoryUsage.rss();
    const blockMs = Math.min(options.slowLogMs ?? Infinity, options.blockLogMs ?? Infinity);
    if (blockMs !== Infinity) this.#watchdog = this.#startWatchdog(blockMs);
    if (options.report) this.#reporter = this.#startReports(options.report);
  }

  #startReports(report: NonNullable<OperationsOptions["report"]>): NodeJS.Timeout {
    const every = this.#options.reportEveryMs ?? 1000;
    let last = Date.now();
    const send = () => {
      // Without the watchdog, the report's own timer measures the event loop's lag.
      const now = Date.now();
      if (this.#watchdog === null) this.#lag = Math.max(0, now - last - every);
      last = now;
      const worker = this.worker();
      // Without the watchdog's beat, the report samples the RSS "last request memory" shows.
      this.tracker.rss = worker.rss;
      report({
        worker,
        slowRequests: this.tracker.slowRequests,
        maxActive: this.tracker.maxActive,
      });
    };
    const timer = setInterval(send, every);
    timer.unref();
    send();
    return timer;
  }

  #startWatchdog(blockMs: number): Watchdog {
    // Without --slow-log the watchdog only reports blocks (before --worker-timeout kills).
    const slowMs = this.#options.slowLogMs ?? Infinity;
    const slowLog = new SlowLog(this.#options.slowLogFile ?? null, this.#context.log);
    return new Watchdog({
      thresholdMs: blockMs,
      file: this.#options.slowLogFile ?? null,
      describeInFlight: () => {
        this.tracker.takeSlow(blockMs);
        const now = Date.now();
        const list = [...this.tracker.inFlight].map(
          (r) => `${r.method} ${r.uri} (running ${((now - r.start) / 1000).toFixed(2)} s)`,
        );
        return list.length === 0 ? "no request in flight" : list.join("; ");
      },
      onBeat: (lag) => {
        this.#lag = lag;
        this.tracker.rss = process.memoryUsage.rss();
        // A request that is slow while the loop runs (awaiting a slow upstream): no stack to take.
        if (slowMs === Infinity) return;
        for (const request of this.tracker.takeSlow(slowMs)) {
          slowLog.write(slowRequestEntry(request));
        }
      },
    });
  }

  worker(): WorkerSnapshot {
    const running = this.tracker.oldest();
    const last = this.tracker.last;
    const now = Date.now();
    return {
      pid: process.pid,
      state: running ? "Running" : "Idle",
      startTime: this.#startTime,
      requests: this.tracker.accepted,
      requestDuration: running ? (now - running.start) * 1000 : (last?.durationUs ?? 0),
      requestMethod: (running ?? last)?.method ?? "-",
      requestUri: (running ?? last)?.uri ?? "-",
      contentLength: (running ?? last)?.contentLength ?? 0,
      lastRequestMemory: running ? 0 : (last?.memory ?? 0),
      lastRequestCpu: running ? 0 : (last?.cpu ?? 0),
      heartbeatAge: null,
      eventLoopLag: this.#lag,
      rss: process.memoryUsage.rss(),
      generation: 0,
    };
  }

  snapshot(): StatusSnapshot {
    const worker = this.worker();
    const queue = listenQueue(this.#context.port());
    this.#maxListenQueue = Math.max(this.#maxListenQueue, queue.queue);
    return {
      pool: this.#options.pool ?? "tsgi",
      processManager: "static",
      startTime: this.#startTime,
      acceptedConn: this.tracker.accepted,
      listenQueue: queue.queue,
      maxListenQueue: this.#maxListenQueue,
      listenQueueLen: queue.length,
      ...countProcesses([worker]),
      maxActiveProcesses: this.tracker.maxActive > 0 ? 1 : 0,
      maxChildrenReached: 0,
      slowRequests: this.tracker.slowRequests,
      generation: 0,
      lastReload: null,
      respawns: 0,
      workers: [worker],
    };
  }

  stop(): void {
    this.#watchdog?.stop();
    if (this.#reporter) clearInterval(this.#reporter);
  }
}
