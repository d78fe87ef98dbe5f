/**
 * `validator(app)`: checks both sides of the contract around an application, as wsgiref's
 * `validate` and Plack::Middleware::Lint do, and fails loudly with a ContractError whose
 * message starts "validator: " and names what was wrong.
 *
 * Server side: the environ has every required key with the right type and only byte strings.
 * Application side: start_response arguments and call count, the body (an iterable of
 * Uint8Array, closed by the server exactly once), how `tsgi.input` and `tsgi.errors` are used.
 * Not detectable here: a server that never calls `close()` (nothing runs to notice).
 *
 * @example
 * import { validator } from "tsgi";
 * const checked = validator(app);
 * const res = await inject(checked, { url: "/" }); // a contract slip fails this request loudly
 */
import { ContractError } from "../core/errors.js";
import { checkHeaders, checkStatus, describe } from "../core/headers.js";
import type { Application, Body, Environ, StartResponse } from "../core/types.js";

type Check = [key: string, ok: (value: unknown) => boolean, expected: string];

const isString = (v: unknown): v is string => typeof v === "string";
const isFunction = (v: unknown) => typeof v === "function";
const isBoolean = (v: unknown) => typeof v === "boolean";
const has = (v: unknown, ...names: PropertyKey[]) =>
  v !== null && typeof v === "object" && names.every((n) => isFunction((v as never)[n]));

// PEP 3333 "environ Variables", and wsgiref.validate's check_environ.
const REQUIRED: Check[] = [
  ["REQUEST_METHOD", (v) => isString(v) && v !== "", "a non-empty string"],
  [
    "SCRIPT_NAME",
    (v) => isString(v) && (v === "" || (v.startsWith("/") && !v.endsWith("/"))),
    'a string, "" or starting but not ending with "/"',
  ],
  [
    "PATH_INFO",
    (v) => isString(v) && (v === "" || v.startsWith("/")),
    'a string, "" or starting with "/"',
  ],
  ["QUERY_STRING", isString, "a string"],
  ["SERVER_NAME", (v) => isString(v) && v !== "", "a non-empty string"],
  ["SERVER_PORT", (v) => isString(v) && v !== "", "a non-empty string"],
  ["SERVER_PROTOCOL", (v) => isString(v) && v !== "", "a non-empty string"],
  ["tsgi.version", (v) => Array.isArray(v) && v.length === 2 && v[0] === 1 && v[1] === 0, "[1, 0]"],
  ["tsgi.url_scheme", (v) => v === "http" || v === "https", '"http" or "https"'],
  [
    "tsgi.input",
    (v) => has(v, "read", "readline", Symbol.asyncIterator),
    "an object with read, readline and async iteration",
  ],
  ["tsgi.errors", (v) => has(v, "write", "flush"), "an object with write and flush"],
  ["tsgi.multithread", isBoolean, "a boolean"],
  ["tsgi.multiprocess", isBoolean, "a boolean"],
  ["tsgi.run_once", isBoolean, "a boolean"],
  ["tsgi.signal", (v) => v instanceof AbortSignal, "an AbortSignal"],
];

function fail(message: string): never {
  throw new ContractError(`validator: ${message}`);
}

/** Re-throws a core check's ContractError with the validator's prefix. */
function recheck<T>(what: () => T): T {
  try {
    return what();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

function checkEnviron(environ: unknown): asserts environ is Environ {
  if (environ === null || typeof environ !== "object" || Array.isArray(environ)) {
    fail(`environ must be a plain object, got ${describe(environ)}`);
  }
  const env = environ as Record<string, unknown>;
  for (const [key, ok, expected] of REQUIRED) {
    if (!(key in env)) fail(`environ is missing ${key}`);
    if (!ok(env[key])) fail(`environ ${key} must be ${expected}, got ${describe(env[key])}`);
  }
  if (env.CONTENT_LENGTH !== undefined && !/^\d+$/.test(String(env.CONTENT_LENGTH))) {
    fail(`environ CONTENT_LENGTH must be digits, got ${describe(env.CONTENT_LENGTH)}`);
  }
  for (const key of ["HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"]) {
    // RFC 3875 §4.1.18: these two headers are CONTENT_TYPE and CONTENT_LENGTH.
    if (key in env) fail(`environ must not hold ${key}: use ${key.slice(5)}`);
  }
  for (const [key, value] of Object.entries(env)) {
    // PEP 3333: CGI variables (keys without a dot) are native strings, i.e. byte strings.
    if (!key.includes(".") && value !== undefined && !isString(value)) {
      fail(`environ ${key} must be a string, got ${describe(value)}`);
    }
    if (isString(value) && /[^\x00-\xff]/.test(value)) {
      fail(`environ ${key} holds a char above 0xFF: environ strings are byte strings`);
    }
  }
}

function checkSize(method: string, value: unknown): void {
  if (value !== undefined && typeof value !== "number") {
    fail(`tsgi.input.${method}() takes a number or nothing, got ${describe(value)}`);
  }
}

/** `tsgi.input` and `tsgi.errors` wrapped so their use is checked. */
function checkedStreams(environ: Environ): Pick<Environ, "tsgi.input" | "tsgi.errors"> {
  const input = environ["tsgi.input"];
  const errors = environ["tsgi.errors"];
  return {
    "tsgi.input": {
      read: (size?: number, ...rest: unknown[]) => {
        if (rest.length > 0) fail("tsgi.input.read() takes at most one argument");
        checkSize("read", size);
        return input.read(size);
      },
      readline: (limit?: number, ...rest: unknown[]) => {
        if (rest.length > 0) fail("tsgi.input.readline() takes at most one argument");
        checkSize("readline", limit);
        return input.readline(limit);
      },
      [Symbol.asyncIterator]: () => input[Symbol.asyncIterator](),
    },
    "tsgi.errors": {
      write: (text: string) => {
        if (!isString(text)) fail(`tsgi.errors.write() takes a string, got ${describe(text)}`);
        errors.write(text);
      },
      flush: () => errors.flush(),
    },
  };
}

/** Wraps an application so both sides of the tsgi contract are checked on every request. */
export function validator(app: Application): Application {
  return async (environ, startResponse) => {
    checkEnviron(environ);
    let calls = 0;
    const checkedStart: StartResponse = (status, headers, excInfo) => {
      if (calls > 0 && (excInfo === undefined || excInfo === null)) {
        fail("start_response() called a second time without excInfo");
      }
      if (!isString(status)) fail(`status must be a string, got ${describe(status)}`);
      recheck(() => checkStatus(status));
      recheck(() => checkHeaders(headers));
      calls++;
      const write = startResponse(status, headers, excInfo);
      return (chunk) => {
        checkChunk(chunk, "write()");
        return write(chunk);
      };
    };
    const body = await app({ ...environ, ...checkedStreams(environ) }, checkedStart);
    return checkedBody(body, () => calls > 0);
  };
}

function checkChunk(chunk: unknown, where: string): asserts chunk is Uint8Array {
  if (!(chunk instanceof Uint8Array)) {
    fail(`${where} got ${describe(chunk)}: body chunks must be Uint8Array`);
  }
}

function checkedBody(body: unknown, started: () => boolean): Body {
  if (isString(body) || body instanceof Uint8Array) {
    fail(`the application returned ${describe(body)}: return an iterable of chunks, [chunk]`);
  }
  const source = body as Body | null | undefined;
  const asyncIt = (source as AsyncIterable<Uint8Array> | null)?.[Symbol.asyncIterator];
  const syncIt = (source as Iterable<Uint8Array> | null)?.[Symbol.iterator];
  if (!isFunction(asyncIt) && !isFunction(syncIt)) {
    fail(`the application returned ${describe(body)}, not an iterable of Uint8Array`);
  }
  let closed = 0;
  const iterator = (): Iterator<Uint8Array> | AsyncIterator<Uint8Array> =>
    isFunction(asyncIt)
      ? asyncIt.call(source)
      : (syncIt as () => Iterator<Uint8Array>).call(source);
  return {
    async *[Symbol.asyncIterator]() {
      const it = iterator();
      let done = false;
      try {
        for (let index = 0; ; index++) {
          // Step by hand: `for await` would unwrap a Promise chunk from a sync iterable.
          const step = await it.next();
          if (step.done) break;
          if (closed) fail("the body was iterated after close()");
          checkChunk(step.value, `body chunk #${index}`);
          if (step.value.length > 0 && !started()) fail("body chunk before start_response()");
          yield step.value;
        }
        done = true;
        if (!started()) fail("the body ended and start_response() was never called");
      } finally {
        if (!done) await it.return?.();
      }
    },
    async close() {
      if (++closed > 1) fail("close() called more than once on the body");
      await source?.close?.();
    },
  };
}
