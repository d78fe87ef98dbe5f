/**
 * `session(app, options)`: signed-cookie sessions at `environ["tsgi.session"]`, or server-side
 * ones with `store` (the signed cookie then carries only a random id).
 *
 * - HMAC-SHA256 under keys derived from `secrets` and the cookie name (session-cookie.ts); the
 *   first secret signs, all verify, and a cookie verified by an older one is re-signed.
 * - Expiry is inside the signature: `maxAge` (absolute, from the issue time) and `idleTimeout`
 *   (from the last write; the cookie is re-written once `touchAfter` has passed). A tampered,
 *   expired or foreign cookie gives an empty session, never an error.
 * - Cookies are `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` when the request came over
 *   https (`secure: "auto"`); a `__Host-` name forces Secure, Path=/ and no Domain.
 * - No Set-Cookie when the session is untouched; `Vary: Cookie` whenever the app used it
 *   (RFC 9111 §4.1: a cache must not hand one user's page to another).
 * - A cookie over 4096 bytes (RFC 6265 §6.1, the least a browser must keep) throws a
 *   SessionError from the app's `startResponse` call: uncaught, it is the gateway's 500 before
 *   any header is sent; keep less in the session or use a store.
 *
 * @example
 * import { session } from "tsgi";
 * const app = session(myApp, { secrets: [process.env.SESSION_SECRET!], idleTimeout: 1800 });
 * // in myApp: const s = environ["tsgi.session"] as Session; s.set("user", "ada");
 */
import { iterateBody } from "../core/body-iterator.js";
import { TsgiError } from "../core/errors.js";
import type { Application, Body, Environ, Headers, StartResponse } from "../core/types.js";
import { deleteCookieValue, parseCookies, setCookieValue } from "../wrappers/cookies.js";
import { addToken } from "../wrappers/headers.js";
import { SessionCodec, type SessionPayload } from "./session-cookie.js";
import { newSessionId, Session } from "./session-object.js";
import type { SessionStore } from "./session-store.js";

export interface SessionOptions {
  /** The signing secrets: the first signs, all verify. Rotate by putting a new one first. */
  secrets: string | readonly string[];
  /** Cookie name; default "session". A `__Host-` name is the safest. */
  name?: string;
  /** Absolute lifetime from the issue time, seconds; default 14 days. */
  maxAge?: number;
  /** Ends a session unused this long, seconds; default none. */
  idleTimeout?: number;
  /** Re-write a used cookie this long after its last write, seconds; default min(60, idleTimeout/2). */
  touchAfter?: number;
  /** `"auto"` (default): Secure when `tsgi.url_scheme` is https. */
  secure?: boolean | "auto";
  /** Default "lax". */
  sameSite?: "lax" | "strict" | "none";
  /** Default "/". */
  path?: string;
  domain?: string;
  /** Server-side sessions: the cookie carries an id, the data goes here. */
  store?: SessionStore;
  /** The clock, milliseconds since the epoch; for tests. */
  now?: () => number;
}

/** The session cookie would be over the size a browser must keep. */
export class SessionError extends TsgiError {
  constructor(message: string) {
    super("ERR_TSGI_SESSION_TOO_LARGE", message);
  }
}

const COOKIE_LIMIT = 4096;
const DAY = 86_400;
// A cookie issued this far in the future comes from a wrong clock or a forger: refused.
const CLOCK_SKEW_MS = 60_000;

interface Config {
  name: string;
  codec: SessionCodec;
  maxAgeMs: number;
  idleMs: number | undefined;
  touchMs: number;
  options: SessionOptions;
  now: () => number;
}

export function session(app: Application, options: SessionOptions): Application {
  const config = configure(options);
  return async (environ, startResponse) => {
    const state = await load(config, environ);
    environ["tsgi.session"] = state.session;
    const pending: Array<Promise<void>> = [];
    const settle = async () => {
      while (pending.length) await pending.shift();
    };
    const wrapped: StartResponse = (status, headers, excInfo) => {
      const out: Headers = [...headers];
      pending.push(...finish(config, environ, state, out));
      const write = startResponse(status, out, excInfo);
      if (!config.options.store) return write;
      // The store must hold the session before the client can come back with its cookie.
      return async (chunk) => {
        await settle();
        return write(chunk);
      };
    };
    const body = await app(environ, wrapped);
    return config.options.store ? afterStore(body, settle) : body;
  };
}

function configure(options: SessionOptions): Config {
  const name = options.name ?? "session";
  const idleMs = options.idleTimeout === undefined ? undefined : options.idleTimeout * 1000;
  const touch = options.touchAfter ?? Math.min(60, (options.idleTimeout ?? 120) / 2);
  // Build one cookie now so a bad name or a __Host- conflict fails at startup, not per request.
  setCookieValue(
    name,
    "x",
    cookieAttributes(
      options,
      options.secure !== false && (options.secure === true || SECURE_PREFIX.test(name)),
    ),
  );
  return {
    name,
    codec: new SessionCodec(name, options.secrets),
    maxAgeMs: (options.maxAge ?? 14 * DAY) * 1000,
    idleMs,
    touchMs: touch * 1000,
    options,
    now: options.now ?? (() => Date.now()), // looked up per call: fake timers replace Date
  };
}

interface State {
  session: Session;
  /** The request carried a cookie of this name (valid or not). */
  hadCookie: boolean;
  payload: SessionPayload | null;
  rotated: boolean;
}

async function load(config: Config, environ: Environ): Promise<State> {
  const raw = parseCookies(environ.HTTP_COOKIE)[config.name];
  const verified = raw ? config.codec.decode(raw) : null;
  const payload = verified && alive(config, verified.payload) ? verified.payload : null;
  const store = config.options.store;
  let data = payload && !store ? (payload.d ?? {}) : null;
  if (payload && store && payload.s) data = (await store.get(payload.s)) ?? null;
  const id = store ? (data ? payload?.s : newSessionId()) : undefined;
  return {
    session: new Session(data, id),
    hadCookie: raw !== undefined,
    payload: data ? payload : null,
    rotated: verified?.rotated ?? false,
  };
}

function alive(config: Config, payload: SessionPayload): boolean {
  const now = config.now();
  if (payload.i > now + CLOCK_SKEW_MS || payload.t < payload.i) return false;
  if (now >= payload.i + config.maxAgeMs) return false;
  return config.idleMs === undefined || now < payload.t + config.idleMs;
}

/** Adds Vary and Set-Cookie to `headers`; returns the store writes to wait for. */
function finish(
  config: Config,
  environ: Environ,
  state: State,
  headers: Headers,
): Array<Promise<void>> {
  const { session } = state;
  if (session.accessed) addToken(headers, "Vary", "Cookie");
  const secure = isSecure(config, environ);
  const store = config.options.store;
  const work: Array<Promise<void>> = [];
  const previous = session.previousId;
  if (store && previous && session.fate !== "kept")
    work.push(Promise.resolve(store.destroy(previous)));
  if (session.fate === "destroyed" || (session.empty && session.changed)) {
    if (state.hadCookie) headers.push(["Set-Cookie", removal(config, secure)]);
    return work;
  }
  if (!mustWrite(config, state)) return work;
  const now = config.now();
  const issued = state.payload && session.fate === "kept" ? state.payload.i : now;
  const payload: SessionPayload = store
    ? { i: issued, t: now, s: session.id }
    : { i: issued, t: now, d: session.snapshot() };
  const expires = expiry(config, payload);
  const value = setCookieValue(config.name, config.codec.encode(payload), {
    ...cookieAttributes(config.options, secure),
    maxAge: (expires - now) / 1000,
    expires: new Date(expires),
    encode: (v) => v,
  });
  checkSize(config.name, value);
  headers.push(["Set-Cookie", value]);
  if (store && session.id)
    work.push(
      Promise.resolve(store.set(session.id, session.snapshot(), { expires: new Date(expires) })),
    );
  return work;
}

function mustWrite(config: Config, state: State): boolean {
  const { session, payload } = state;
  if (session.fate === "regenerated" || session.changed) return true;
  if (!payload) return false; // a new session that stayed empty: no cookie
  if (state.rotated) return true;
  return (
    session.accessed && config.idleMs !== undefined && config.now() - payload.t >= config.touchMs
  );
}

function expiry(config: Config, payload: SessionPayload): number {
  const absolute = payload.i + config.maxAgeMs;
  return config.idleMs === undefined ? absolute : Math.min(absolute, payload.t + config.idleMs);
}

// RFC 6265bis §4.1.3: a __Secure- or __Host- name is only accepted with Secure.
const SECURE_PREFIX = /^__(secure|host)-/i;

function isSecure(config: Config, environ: Environ): boolean {
  const secure = config.options.secure ?? "auto";
  if (secure === "auto")
    return environ["tsgi.url_scheme"] === "https" || SECURE_PREFIX.test(config.name);
  return secure;
}

function cookieAttributes(options: SessionOptions, secure: boolean) {
  return {
    path: options.path ?? "/",
    domain: options.domain,
    httpOnly: true,
    secure,
    sameSite: options.sameSite ?? ("lax" as const),
  };
}

function removal(config: Config, secure: boolean): string {
  return deleteCookieValue(config.name, cookieAttributes(config.options, secure));
}

function checkSize(name: string, value: string): void {
  const size = Buffer.byteLength(value);
  if (size > COOKIE_LIMIT) {
    throw new SessionError(
      `session cookie ${JSON.stringify(name)} is ${size} bytes, over the limit of ${COOKIE_LIMIT} bytes (RFC 6265 §6.1); keep less in the session or pass a store`,
    );
  }
}

/** The body, with the store's writes finished before its first chunk and before its end. */
function afterStore(body: Body, settle: () => Promise<void>): Body {
  return {
    async *[Symbol.asyncIterator]() {
      const iterator = iterateBody(body);
      for (;;) {
        const step = await iterator.next();
        await settle();
        if (step.done) return;
        yield step.value;
      }
    },
    close: () => body.close?.(),
  };
}
