import { Worker } from "node:worker_threads";
import { WATCHDOG_THREAD } from "./watchdog-thread.js";

/** The global Map the paused main thread is asked through: id -> "what is in flight". */
const REGISTRY = "tsgi.watchdog";
let nextId = 1;

function registry(): Map<number, () => string> {
  const holder = globalThis as unknown as Record<symbol, Map<number, () => string> | undefined>;
  const key = Symbol.for(REGISTRY);
  let map = holder[key];
  if (map === undefined) {
    map = new Map();
    holder[key] = map;
  }
  return map;
}

export interface WatchdogOptions {
  /** A loop blocked this long gets an entry with its stack. */
  thresholdMs: number;
  /** The slow-log file, or null for stderr (fd 2). */
  file: string | null;
  /** Called by the paused main thread: the requests in flight, marked slow, as one phrase. */
  describeInFlight: () => string;
  /** Each beat: how late it came (the event-loop lag, ms). */
  onBeat?: (lagMs: number) => void;
}

/**
 * The main thread's side of the watchdog: a beat on an unref'd timer that bumps a shared
 * counter and measures the event loop's lag, and the unref'd watchdog thread that watches the
 * counter. Neither keeps the process alive; while nothing blocks, the cost is one timer
 * callback per beat here and one there.
 */
export class Watchdog {
  readonly #beats = new Int32Array(new SharedArrayBuffer(4));
  readonly #timer: NodeJS.Timeout;
  readonly #thread: Worker;
  readonly #id = nextId++;
  #last = Date.now();

  constructor(options: WatchdogOptions) {
    const every = beatInterval(options.thresholdMs);
    registry().set(this.#id, options.describeInFlight);
    this.#timer = setInterval(() => {
      const now = Date.now();
      const lag = Math.max(0, now - this.#last - every);
      this.#last = now;
      Atomics.add(this.#beats, 0, 1);
      options.onBeat?.(lag);
    }, every);
    this.#timer.unref();
    this.#thread = new Worker(WATCHDOG_THREAD, {
      eval: true,
      workerData: {
        beats: this.#beats.buffer,
        id: this.#id,
        thresholdMs: options.thresholdMs,
        checkMs: every,
        file: options.file,
        registry: REGISTRY,
      },
      // The thread needs little: a small heap keeps its cost down.
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    this.#thread.unref();
    this.#thread.on("error", () => {});
  }

  stop(): void {
    clearInterval(this.#timer);
    registry().delete(this.#id);
    void this.#thread.terminate();
  }
}

/** A beat often enough that a block of `thresholdMs` is seen within a quarter of it. */
export function beatInterval(thresholdMs: number): number {
  return Math.max(25, Math.min(1000, Math.floor(thresholdMs / 4)));
}
