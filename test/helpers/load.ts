/**
 * A bounded HTTP load generator for the workers' integration tests (issue 10 §5): a fixed
 * number of requests over a fixed number of keep-alive connections, stopped by a deadline or
 * an AbortSignal, that counts every failure a user would see: a non-2xx status, a connection
 * reset (or any socket error), a timeout, and a body the caller's check rejects.
 *
 * "Zero failed" in the tests means `result.failed === 0` (and no `upstream` line in nginx's
 * error log, which the test checks itself). Requests not started when the deadline passes or
 * the signal fires are simply not sent: they are not failures.
 *
 * @example
 * const result = await runLoad({ port: nginx.port, connections: 32, requests: 2000, deadlineMs: 20_000 });
 * expect(result.failures).toEqual([]);
 */
import { Agent, request } from "node:http";

/** One request of the load: what to send and how to judge the answer. */
export interface LoadRequest {
  method?: string;
  path: string;
  body?: Uint8Array;
  headers?: Record<string, string>;
  /** Returns a reason when the body is wrong, or null; default: any body is right. */
  check?: (status: number, body: Buffer) => string | null;
}

export interface LoadOptions {
  port: number;
  host?: string;
  /** Concurrent connections (and requests in flight). */
  connections: number;
  /** Requests to send in all. */
  requests: number;
  /** No request starts after this many ms; the run resolves once those in flight end. */
  deadlineMs: number;
  /** Per-request timeout (default 15 s): past it the request counts as a timeout. */
  timeoutMs?: number;
  /** Keep connections alive between requests (default true). */
  keepAlive?: boolean;
  /** Request number `i` (0-based); default `GET /`. */
  request?: (i: number) => LoadRequest;
  /** Stops starting new requests when it fires (the test is done with the load). */
  signal?: AbortSignal;
  /** Called after each request with its outcome, for tests that watch the load as it runs. */
  onResult?: (outcome: Outcome) => void;
}

export type FailureKind = "status" | "reset" | "timeout" | "body";

export interface Outcome {
  index: number;
  ok: boolean;
  status: number;
  body: Buffer;
  kind?: FailureKind;
  reason?: string;
  /** When the request started and ended (Date.now()). */
  startedAt: number;
  endedAt: number;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  byKind: Record<FailureKind, number>;
  /** The first 20 failures, one line each: "#12 POST /upload: status 502". */
  failures: string[];
  /** How many answers had each body (trimmed, first 64 chars): which versions answered. */
  bodies: Map<string, number>;
  elapsedMs: number;
}

const MAX_LISTED = 20;

/** Runs the load; never rejects for a failed request (they are counted). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({
    keepAlive: options.keepAlive ?? true,
    maxSockets: options.connections,
  });
  const started = Date.now();
  const deadline = started + options.deadlineMs;
  const result: LoadResult = {
    sent: 0,
    ok: 0,
    failed: 0,
    byKind: { status: 0, reset: 0, timeout: 0, body: 0 },
    failures: [],
    bodies: new Map(),
    elapsedMs: 0,
  };
  let next = 0;
  const more = () =>
    next < options.requests && Date.now() < deadline && !(options.signal?.aborted ?? false);
  const lane = async () => {
    while (more()) {
      const index = next++;
      const spec = options.request?.(index) ?? { path: "/" };
      result.sent++;
      const outcome = await send(agent, options, index, spec);
      record(result, spec, outcome);
      options.onResult?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, lane));
  agent.destroy();
  result.elapsedMs = Date.now() - started;
  return result;
}

function record(result: LoadResult, spec: LoadRequest, outcome: Outcome): void {
  if (outcome.ok) {
    result.ok++;
    const key = outcome.body.toString("latin1").trim().slice(0, 64);
    result.bodies.set(key, (result.bodies.get(key) ?? 0) + 1);
    return;
  }
  result.failed++;
  result.byKind[outcome.kind ?? "reset"]++;
  if (result.failures.length < MAX_LISTED) {
    result.failures.push(
      `#${outcome.index} ${spec.method ?? "GET"} ${spec.path}: ${outcome.kind} ${outcome.reason}`,
    );
  }
}

function send(
  agent: Agent,
  options: LoadOptions,
  index: number,
  spec: LoadRequest,
): Promise<Outcome> {
  const startedAt = Date.now();
  return new Promise((done) => {
    let settled = false;
    const finish = (fields: Omit<Outcome, "index" | "startedAt" | "endedAt">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done({ index, startedAt, endedAt: Date.now(), ...fields });
    };
    const fail = (kind: FailureKind, reason: string, status = 0) =>
      finish({ ok: false, status, body: Buffer.alloc(0), kind, reason });
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.body) headers["Content-Length"] = String(spec.body.length);
    const req = request(
      {
        host: options.host ?? "127.0.0.1",
        port: options.port,
        path: spec.path,
        method: spec.method ?? "GET",
        headers,
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error) => fail("reset", error.message, res.statusCode));
        res.on("close", () => {
          if (!res.complete) fail("reset", "response cut short", res.statusCode);
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const body = Buffer.concat(chunks);
          if (status < 200 || status > 299) {
            return fail("status", `status ${status}: ${body.toString().slice(0, 120)}`, status);
          }
          const wrong = spec.check?.(status, body) ?? null;
          if (wrong !== null) return fail("body", wrong, status);
          finish({ ok: true, status, body });
        });
      },
    );
    const timer = setTimeout(() => {
      fail("timeout", `no answer in ${options.timeoutMs ?? 15_000} ms`);
      req.destroy();
    }, options.timeoutMs ?? 15_000);
    req.on("error", (error) => fail("reset", error.message));
    req.end(spec.body);
  });
}

/** nginx error-log lines that name the upstream: a failed or retried upstream request. */
export function upstreamErrors(errorLog: string): string[] {
  return errorLog.split("\n").filter((line) => line.includes("upstream"));
}

/** One line for a test's output: "2000 sent, 2000 ok, 0 failed (...) in 9.1 s". */
export function summary(name: string, result: LoadResult): string {
  const kinds = Object.entries(result.byKind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  return `[load] ${name}: ${result.sent} sent, ${result.ok} ok, ${result.failed} failed (${kinds}) in ${seconds} s`;
}
