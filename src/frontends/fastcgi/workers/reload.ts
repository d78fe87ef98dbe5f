import type { Master } from "./master.js";
import { DEFAULT_READY_TIMEOUT_MS } from "./options.js";
import type { WorkerInfo } from "./worker-info.js";

interface Job {
  old: WorkerInfo;
  reason: string;
  /** The generation a reload is moving to, or null for a recycle. */
  reload: number | null;
}

/**
 * Replaces workers one at a time, never below N serving (issue 10 §2): start a new worker, wait
 * until it has loaded the app and said ready, then drain the old one and wait until it is gone
 * (bounded by `--graceful-timeout`), so a finished reload means no old code answers. SIGHUP queues every
 * worker of an older generation; `--max-requests` / `--max-rss` queue one. A new worker that
 * fails to load stops the reload: the old workers keep serving, and the error is logged and
 * kept in `master.lastReload` for the status page. (gunicorn, uWSGI and pm2 stop old workers
 * before the new ones are ready, or start broken code: notes, "Why users still see 502s".)
 */
export class Rotation {
  readonly #master: Master;
  #queue: Job[] = [];
  #running = false;

  constructor(master: Master) {
    this.#master = master;
  }

  /** SIGHUP: every serving worker older than `generation`, one after the other. */
  reload(generation: number): void {
    const master = this.#master;
    this.#queue = this.#queue.filter((job) => job.reload === null); // superseded
    master.lastReload = { at: Date.now(), generation, ok: null };
    const old = [...master.workers.values()].filter(
      (w) => w.generation < generation && (w.state === "ready" || w.state === "retiring"),
    );
    master.log(
      `tsgi: master: reload (generation ${generation}): replacing ${old.length} worker(s) one at a time`,
    );
    master.emit("reload", master.lastReload);
    for (const worker of old)
      this.#queue.push({ old: worker, reason: "reload", reload: generation });
    if (old.length === 0) this.#finishReload(generation, null);
    void this.#run();
  }

  /**
   * Replaces one worker (`--max-requests`, `--max-rss`, an uncaught exception). `urgent`: it
   * gets no new connections from now on and its replacement starts at once, beside the queue.
   */
  replace(old: WorkerInfo, reason: string, urgent: boolean): void {
    if (old.retireReason !== null || (old.state !== "ready" && old.state !== "retiring")) return;
    old.retireReason = reason;
    this.#master.log(`tsgi: worker ${old.id} (pid ${old.pid}): ${reason}; replacing it`);
    const job = { old, reason, reload: null };
    if (urgent) {
      this.#master.setState(old, "retiring");
      void this.#replaceOne(job);
      return;
    }
    this.#queue.push(job);
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
        const ok = await this.#replaceOne(job);
        if (!ok && job.reload !== null) {
          const generation = job.reload;
          this.#queue = this.#queue.filter((j) => j.reload !== generation);
        } else if (job.reload !== null && !this.#queue.some((j) => j.reload === job.reload)) {
          this.#finishReload(job.reload, null);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #replaceOne(job: Job): Promise<boolean> {
    const master = this.#master;
    if (master.state !== "running" || !master.workers.has(job.old.id)) return true;
    const fresh = master.spawn();
    fresh.extra.rotation = true;
    const error = await readyWithin(
      master,
      fresh,
      master.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    );
    if (error !== null) {
      if (fresh.child.exitCode === null) fresh.child.kill("SIGKILL");
      // The old worker keeps serving; a recycle may be asked for again later.
      job.old.retireReason = null;
      if (job.old.state === "retiring") master.setState(job.old, "ready");
      if (job.reload !== null) this.#finishReload(job.reload, error);
      else
        master.log(
          `tsgi: worker ${job.old.id}: its replacement failed (${error}); it keeps serving`,
        );
      return false;
    }
    if (master.workers.has(job.old.id)) {
      master.drain(job.old);
      // Done when the old code is gone: requests already on its connections finish first.
      await exitOf(job.old);
    }
    return true;
  }

  #finishReload(generation: number, error: string | null): void {
    const master = this.#master;
    master.lastReload = { at: master.lastReload?.at ?? Date.now(), generation, ok: error === null };
    if (error !== null) {
      master.lastReload.error = error;
      master.log(
        `tsgi: master: reload (generation ${generation}) failed, old workers keep serving: ${error}`,
      );
    } else {
      master.log(`tsgi: master: reload (generation ${generation}) done`);
    }
    master.emit("reload", master.lastReload);
  }
}

function exitOf(worker: WorkerInfo): Promise<void> {
  const child = worker.child;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** null once `worker` is ready, else why not (load error, exit, or the timeout). */
function readyWithin(master: Master, worker: WorkerInfo, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => resolve(`the new worker was not ready after ${ms / 1000} s`),
      ms,
    );
    timer.unref();
    master.ready(worker).then((error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}
