import type { Environ } from "../core/types.js";
import { baseClass } from "./builtins.js";
import { requestHeaders, requestLine } from "./request-line.js";

/**
 * The fetch `Request` a handler gets from `fromFetch`, built lazily. A hello-world handler reads
 * the method and the URL and maybe a header; a real `Request` costs a URL parse, a Headers copy
 * and an AbortSignal, several microseconds a request. So the object handed out only chains to
 * `Request.prototype` (`instanceof Request` holds), answers `method`, `url`, `headers` and
 * `signal` itself, and makes the real `Request` the first time anything else is touched: the
 * body, `clone()`, `json()`, `formData()`, ... (the approach of @hono/node-server v2).
 */

let NativeRequest: typeof Request | undefined;
function nativeRequest(): typeof Request {
  NativeRequest ??= baseClass(globalThis.Request);
  return NativeRequest;
}

const ENVIRON = Symbol("tsgi.environ");
const URL_KEY = Symbol("tsgi.url");
const HEADERS = Symbol("tsgi.headers");
const REAL = Symbol("tsgi.request");

interface LazyRequest {
  [ENVIRON]: Environ;
  [URL_KEY]: string;
  [HEADERS]?: Headers;
  [REAL]?: Request;
  readonly method: string;
}

/** The URL a fetch handler sees; exported for toFetch's tests and fromFetch's 400. */
export function fetchUrl(environ: Environ): string {
  const { target, mount } = requestLine(environ);
  // requestLine says "/" for nothing below the mount; the client's URL had nothing there. nginx's
  // stock fastcgi_params send the whole path as SCRIPT_NAME and no PATH_INFO: /json stays /json.
  // A SCRIPT_NAME of "/" (some servers) must not double the slash either.
  const below =
    mount && target[0] === "/" && (!environ.PATH_INFO || mount.endsWith("/"))
      ? target.slice(1)
      : target;
  const path = encodeUnsafe(mount + below);
  const scheme = environ["tsgi.url_scheme"];
  const host = environ.HTTP_HOST || serverHost(environ, scheme);
  const url = `${scheme}://${host}${path}`;
  // The WHATWG URL parser removes dot segments (also %2e ones), lower-cases the host, drops a
  // default port and escapes a few ASCII chars: let it, but only when the URL needs it, and
  // only on ASCII, so it can never re-encode a latin-1 byte as UTF-8.
  if (PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path) && plainHost(host, scheme)) return url;
  return new URL(url).href;
}

const PLAIN_PATH = /^\/[-A-Za-z0-9._~!$&'()*+,;=:@/%?]*$/;
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:[/?]|$)/i;
const PLAIN_HOST = /^[a-z0-9.-]+(?::[0-9]{1,5})?$/;

function plainHost(host: string, scheme: string): boolean {
  if (!PLAIN_HOST.test(host)) return false;
  return !host.endsWith(scheme === "https" ? ":443" : ":80");
}

// PEP 3333 URL reconstruction: SERVER_NAME, and SERVER_PORT unless it is the scheme's default.
function serverHost(environ: Environ, scheme: string): string {
  const port = environ.SERVER_PORT;
  const standard = (scheme === "https" && port === "443") || (scheme === "http" && port === "80");
  return standard || !port ? environ.SERVER_NAME : `${environ.SERVER_NAME}:${port}`;
}

/**
 * Percent-encodes every byte a URL cannot carry as is: controls, space, `#`, `"`, `<`, `>` and
 * every byte >= 0x80 (the target's chars are raw bytes, so 0xFF becomes `%FF`, never the UTF-8
 * `%C3%BF` that `new URL` would make of it). `%` stays: the target is already escaped.
 */
function encodeUnsafe(path: string): string {
  if (!UNSAFE.test(path)) return path;
  return path.replace(UNSAFE_ALL, (char) => {
    const code = char.charCodeAt(0) & 0xff;
    return `%${code < 16 ? "0" : ""}${code.toString(16).toUpperCase()}`;
  });
}

const UNSAFE = /[^\x21\x24-\x3b\x3d\x3f-\x7e]/;
const UNSAFE_ALL = /[^\x21\x24-\x3b\x3d\x3f-\x7e]/g;

/** The lazily built Request for one environ. */
export function createRequest(environ: Environ): Request {
  const request = Object.create(requestPrototype()) as LazyRequest;
  request[ENVIRON] = environ;
  request[URL_KEY] = fetchUrl(environ);
  return request as unknown as Request;
}

function real(request: LazyRequest): Request {
  const made = request[REAL];
  if (made) return made;
  const environ = request[ENVIRON];
  const method = request.method;
  const init: RequestInit & { duplex?: "half" } = {
    method,
    headers: headersOf(request),
    signal: environ["tsgi.signal"],
  };
  // Fetch forbids a body on GET and HEAD; any other method gets tsgi.input as a stream.
  if (method !== "GET" && method !== "HEAD") {
    init.body = inputStream(environ);
    init.duplex = "half";
  }
  const request2 = new (nativeRequest())(request[URL_KEY], init);
  request[REAL] = request2;
  return request2;
}

function headersOf(request: LazyRequest): Headers {
  let headers = request[HEADERS];
  if (!headers) {
    headers = new Headers();
    const raw = requestHeaders(request[ENVIRON]);
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    request[HEADERS] = headers;
  }
  return headers;
}

/**
 * `tsgi.input` as a byte stream. Pull-based with no queue of its own (highWaterMark 0): a chunk
 * is read from the front-end only when the handler asks for one, so a slow reader holds the
 * upload back at the web server instead of buffering it here.
 */
function inputStream(environ: Environ): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= environ["tsgi.input"][Symbol.asyncIterator]();
        const step = await chunks.next();
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      },
      async cancel() {
        await chunks?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

let lazyPrototype: object | undefined;

/** The prototype of the lazy requests, made on the first request (it reads Request.prototype). */
function requestPrototype(): object {
  lazyPrototype ??= makePrototype();
  return lazyPrototype;
}

function makePrototype(): object {
  const prototype: object = Object.create(nativeRequest().prototype);

  Object.defineProperties(prototype, {
    method: {
      get(this: LazyRequest) {
        return this[ENVIRON].REQUEST_METHOD;
      },
    },
    url: {
      get(this: LazyRequest) {
        return this[URL_KEY];
      },
    },
    headers: {
      get(this: LazyRequest) {
        return this[REAL]?.headers ?? headersOf(this);
      },
    },
    signal: {
      get(this: LazyRequest) {
        return this[REAL]?.signal ?? this[ENVIRON]["tsgi.signal"];
      },
    },
    [Symbol.for("nodejs.util.inspect.custom")]: {
      value(this: LazyRequest) {
        return `Request (tsgi, lazy) ${this.method} ${this[URL_KEY]}`;
      },
    },
  });

  // Everything else Request has (body, bodyUsed, clone(), json(), formData(), cache, mode, ...)
  // is answered by the real Request, made on first use. Read from the prototype chain, so a
  // future Request member is covered too.
  for (let proto = nativeRequest().prototype; proto !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || Object.hasOwn(prototype, name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor?.get) {
        Object.defineProperty(prototype, name, {
          get(this: LazyRequest) {
            return Reflect.get(real(this), name);
          },
        });
      } else if (typeof descriptor?.value === "function") {
        Object.defineProperty(prototype, name, {
          value(this: LazyRequest, ...args: unknown[]) {
            const request = real(this) as unknown as Record<string, (...a: unknown[]) => unknown>;
            return request[name](...args);
          },
        });
      }
    }
    proto = Object.getPrototypeOf(proto);
  }
  return prototype;
}
