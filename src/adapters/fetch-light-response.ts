/**
 * fromFetch's `lightResponse` (on by default): a `Response` that costs nothing until used.
 *
 * On Node 20, `new Response("Hello")` builds a ReadableStream at once (undici's extractBody),
 * and a web stream's constructor is slow (`makeTransferable`): ~28 µs of CPU a request behind
 * nginx, against ~16 µs for the whole of tsgi's hello world (bench/micro/fastcgi-path.mjs with
 * the apps of bench/micro/adapters-fetch.mjs). @hono/node-server avoids it by replacing
 * `globalThis.Response` for good. tsgi replaces it only while the handler's synchronous part
 * runs (nothing else can run then) and puts the original back before returning, so no other
 * code ever sees it; what a handler makes after an `await` is a real Response.
 *
 * The light one keeps `body` and `init`; `respond` reads them directly when the body is a
 * string, bytes or null. Touching anything else makes the real Response from them, once, and
 * answers from it: the object behaves as a Response in every respect but its cost.
 */

const NativeResponse: typeof Response = globalThis.Response;

const BODY = Symbol("tsgi.body");
const INIT = Symbol("tsgi.init");
const REAL = Symbol("tsgi.response");

interface Light {
  [BODY]: unknown;
  [INIT]: ResponseInit | undefined;
  [REAL]?: Response;
}

function real(light: Light): Response {
  let made = light[REAL];
  if (!made) {
    const body = light[BODY];
    const init = typeof body === "string" ? withTextType(light[INIT]) : light[INIT];
    made = new NativeResponse(body as BodyInit | null, init);
    light[REAL] = made;
  }
  return made;
}

// A string body without Content-Type gets what @hono/node-server's own light Response gives it
// (undici would say "text/plain;charset=UTF-8"): the same app, the same bytes, served either way.
const TEXT_TYPE = "text/plain; charset=UTF-8";

function withTextType(init: ResponseInit | undefined): ResponseInit | undefined {
  const headers = new Headers(init?.headers);
  if (headers.has("content-type")) return init;
  headers.set("content-type", TEXT_TYPE);
  return { ...init, headers };
}

/** The Response class handlers see during their synchronous part. */
export class LightResponse {
  declare [BODY]: unknown;
  declare [INIT]: ResponseInit | undefined;
  declare [REAL]?: Response;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    this[BODY] = body ?? null;
    this[INIT] = init;
  }

  // `instanceof Response` holds for real Responses too, whichever class the global names.
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeResponse;
  }
}

Object.setPrototypeOf(LightResponse, NativeResponse); // Response.json(), .redirect(), .error()
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);

// Every member of Response answers from the real one, made on first use.
for (let proto = NativeResponse.prototype; proto !== Object.prototype; ) {
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === "constructor") continue;
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor?.get) {
      Object.defineProperty(LightResponse.prototype, name, {
        get(this: Light) {
          return Reflect.get(real(this), name);
        },
      });
    } else if (typeof descriptor?.value === "function") {
      Object.defineProperty(LightResponse.prototype, name, {
        value(this: Light, ...args: unknown[]) {
          const response = real(this) as unknown as Record<string, (...a: unknown[]) => unknown>;
          return response[name](...args);
        },
      });
    }
  }
  proto = Object.getPrototypeOf(proto);
}

/** What `respond` needs of an untouched light Response whose body is a string, bytes or null. */
export interface LightParts {
  status: number;
  statusText: string;
  headers: Headers;
  body: Uint8Array | null;
}

// Fetch: these statuses may not have a body; outside 200-599 the constructor throws.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The parts of a light Response that was never touched, or undefined (a real Response, a
 * touched light one, a body that is a stream, a Blob or form data: then use the Response API).
 */
export function lightParts(response: unknown): LightParts | undefined {
  if (!(response instanceof Object) || !(BODY in response)) return undefined;
  const light = response as unknown as Light;
  if (light[REAL]) return undefined;
  const source = light[BODY];
  const init = light[INIT];
  const status = init?.status ?? 200;
  const text = typeof source === "string";
  if (!(text || source === null || source instanceof Uint8Array)) return undefined;
  if (status < 200 || status > 599 || (source !== null && NULL_BODY.has(status))) {
    real(light); // throws the constructor's own error
    return undefined;
  }
  const given = init?.headers;
  let headers = given instanceof Headers ? given : new Headers(given);
  if (text && !headers.has("content-type")) {
    if (headers === given) headers = new Headers(given);
    headers.set("content-type", TEXT_TYPE);
  }
  return {
    status,
    statusText: init?.statusText ?? "",
    headers,
    body: text ? Buffer.from(source) : (source as Uint8Array | null),
  };
}

/** Runs `call` with `globalThis.Response` naming LightResponse; the original is always put back. */
export function withLightResponse<T>(call: () => T): T {
  const previous = globalThis.Response;
  globalThis.Response = LightResponse as unknown as typeof Response;
  try {
    return call();
  } finally {
    globalThis.Response = previous;
  }
}
