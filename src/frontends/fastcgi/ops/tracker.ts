import type { Application, Body, Environ } from "../../../core/types.js";

/** One request the app is running: what the status page and the slow log show of it. */
export interface InFlight {
  method: string;
  uri: string;
  contentLength: number;
  /** Date.now() when the app was called. */
  start: number;
  /** performance.now() then: the duration to the microsecond. */
  clock: number;
  /** The process's CPU time then (µs, user + system), or -1 for a request not sampled. */
  cpu: number;
  /** Already logged as slow (by the sweep or by the watchdog): logged and counted once. */
  slow: boolean;
}

/** The request that ran last: FPM's "request duration" etc. of an idle process. */
export interface LastRequest {
  method: string;
  uri: string;
  contentLength: number;
  durationUs: number;
  memory: number;
  /**
   * FPM's "last request cpu", of the last sampled request (see CPU_SAMPLE_MS): the process's
   * CPU time over the request's span, as a percentage
   * of that span. One tsgi process serves requests concurrently: what overlapping requests
   * spent counts for each of them.
   */
  cpu: number;
}

/**
 * Counts what one process serves for the status page and the slow log: requests accepted, in
 * flight (with method, URI, start), the most at once, slow ones, and the last one. It wraps the
 * app only when an operator asked for a status page or a slow log, so a plain server pays
 * nothing. A request counts from the app's call until its run settles (close() ran, or the app
 * failed).
 */
export class RequestTracker {
  accepted = 0;
  maxActive = 0;
  slowRequests = 0;
  readonly inFlight = new Set<InFlight>();
  last: LastRequest | null = null;
  /** RSS at the last sample (the heartbeat's), for "last request memory". */
  rss = 0;
  #lastCpu = 0;
  #cpuSampledAt = Number.NEGATIVE_INFINITY;

  wrap(app: Application): Application {
    return (environ, startResponse) => {
      const entry = this.#begin(environ);
      let returned: ReturnType<Application>;
      try {
        returned = app(environ, startResponse);
      } catch (error) {
        this.#end(entry);
        throw error;
      }
      if (returned instanceof Promise) {
        return returned.then(
          (body) => this.#closing(body, entry),
          (error: unknown) => {
            this.#end(entry);
            throw error;
          },
        );
      }
      return this.#closing(returned, entry);
    };
  }

  #begin(environ: Environ): InFlight {
    this.accepted++;
    const clock = performance.now();
    const entry: InFlight = {
      method: environ.REQUEST_METHOD ?? "-",
      uri: requestUri(environ),
      contentLength: Number(environ.CONTENT_LENGTH) || 0,
      start: Date.now(),
      clock,
      cpu: this.#sampleCpu(clock),
      slow: false,
    };
    this.inFlight.add(entry);
    if (this.inFlight.size > this.maxActive) this.maxActive = this.inFlight.size;
    return entry;
  }

  // Reading the process's CPU time costs ~0.7 µs, twice a request: a tenth of a hello world's
  // FastCGI cost. A request is sampled when none was for CPU_SAMPLE_MS.
  #sampleCpu(clock: number): number {
    if (clock - this.#cpuSampledAt < CPU_SAMPLE_MS) return -1;
    this.#cpuSampledAt = clock;
    return cpuMicros();
  }

  #end(entry: InFlight): void {
    if (!this.inFlight.delete(entry)) return;
    const durationUs = (performance.now() - entry.clock) * 1000;
    if (entry.cpu >= 0 && durationUs > 0) {
      this.#lastCpu = Math.round(((cpuMicros() - entry.cpu) / durationUs) * 10000) / 100;
    }
    this.last = {
      method: entry.method,
      uri: entry.uri,
      contentLength: entry.contentLength,
      durationUs: Math.round(durationUs),
      memory: this.rss,
      cpu: this.#lastCpu,
    };
  }

  /**
   * The body with a close() that ends the entry (the core calls close() exactly once, design §1
   * rule 9). A plain array is complete when the app returns it: it is counted done then and
   * goes on unwrapped, keeping the core's synchronous path for it (a wrapper would cost a
   * promise per request). Something that is not an iterable object is left as is, for the
   * core's own error. close() stays synchronous when the app's is.
   */
  #closing(body: Body, entry: InFlight): Body {
    if (
      body === null ||
      typeof body !== "object" ||
      body instanceof Uint8Array ||
      Array.isArray(body)
    ) {
      this.#end(entry);
      return body;
    }
    const close = () => {
      let closing: void | Promise<void>;
      try {
        closing = body.close?.();
      } catch (error) {
        this.#end(entry);
        throw error;
      }
      if (closing instanceof Promise) return closing.finally(() => this.#end(entry));
      this.#end(entry);
    };
    const asyncIt = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator];
    if (typeof asyncIt === "function") {
      return { [Symbol.asyncIterator]: () => asyncIt.call(body), close };
    }
    const syncIt = (body as Iterable<Uint8Array>)[Symbol.iterator];
    return { [Symbol.iterator]: () => syncIt.call(body), close };
  }

  /** Marks in-flight requests older than `ms` as slow; returns the ones newly marked. */
  takeSlow(ms: number, now = Date.now()): InFlight[] {
    const found: InFlight[] = [];
    for (const entry of this.inFlight) {
      if (entry.slow || now - entry.start < ms) continue;
      entry.slow = true;
      this.slowRequests++;
      found.push(entry);
    }
    return found;
  }

  /** The oldest request in flight, or null. */
  oldest(): InFlight | null {
    let oldest: InFlight | null = null;
    for (const entry of this.inFlight)
      if (oldest === null || entry.start < oldest.start) oldest = entry;
    return oldest;
  }
}

/** REQUEST_URI as the web server sent it, else SCRIPT_NAME + PATH_INFO and the query. */
export function requestUri(environ: Environ): string {
  if (typeof environ.REQUEST_URI === "string" && environ.REQUEST_URI) return environ.REQUEST_URI;
  const path = `${environ.SCRIPT_NAME ?? ""}${environ.PATH_INFO ?? ""}`;
  return environ.QUERY_STRING ? `${path}?${environ.QUERY_STRING}` : path;
}

/** At most one request in this many milliseconds has its CPU measured ("last request cpu"). */
const CPU_SAMPLE_MS = 100;

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
