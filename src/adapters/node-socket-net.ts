import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Environ } from "../core/types.js";

/** What a net.Socket / tls.TLSSocket tells and does, as far as frameworks use it. */
export interface NetSocket extends Duplex {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  remoteFamily: string | undefined;
  encrypted?: true;
  _hadError: boolean;
  _httpMessage: ServerResponse | null;
  readonly environ: Environ;
  req: IncomingMessage | null;
  res: ServerResponse | null;
}

export type NetSocketClass = new (environ: Environ, highWaterMark: number | undefined) => NetSocket;

/**
 * The connection side of tsgi's socket (node-socket.ts): the addresses from the environ
 * (REMOTE_ADDR, REMOTE_PORT, SERVER_ADDR, SERVER_PORT; `encrypted` for https) and the
 * net.Socket calls frameworks make, as no-ops. Built on the Duplex loaded on first use.
 */
export function defineNetSocket(Base: typeof Duplex): NetSocketClass {
  return class NetSocket extends Base {
    /** net.Socket's flag: set when the response broke, so Node's onFinish emits no `finish`. */
    _hadError = false;
    /** The response on this socket, as Node's server keeps it (`assignSocket`). */
    _httpMessage: ServerResponse | null = null;
    /** Set (true) only for https, as tls.TLSSocket: Express's req.secure / req.protocol. */
    encrypted?: true;

    readonly environ: Environ;
    req: IncomingMessage | null = null;
    res: ServerResponse | null = null;
    // What a net.Socket tells about the connection: read from the environ when asked (most
    // requests never ask), or what the app assigned.
    #facts: Partial<Record<Fact, string | number | undefined>> | null = null;

    constructor(environ: Environ, highWaterMark: number | undefined) {
      super({ decodeStrings: false, allowHalfOpen: true, writableHighWaterMark: highWaterMark });
      this.environ = environ;
      if (environ["tsgi.url_scheme"] === "https") this.encrypted = true;
    }

    // net.Socket's connection facts, as accessors over #fact and #set.
    declare remoteAddress: string | undefined;
    declare remotePort: number | undefined;
    declare remoteFamily: string | undefined;
    declare localAddress: string | undefined;
    declare localPort: number | undefined;

    static {
      for (const name of FACTS) {
        Object.defineProperty(NetSocket.prototype, name, {
          get(this: NetSocket) {
            return this.#fact(name);
          },
          set(this: NetSocket, value: string | number | undefined) {
            this.#set(name, value);
          },
          configurable: true,
        });
      }
    }

    #fact(name: Fact): string | number | undefined {
      const facts = this.#facts;
      if (facts !== null && name in facts) return facts[name];
      return connectionFact(this.environ, name);
    }

    #set(name: Fact, value: string | number | undefined): void {
      this.#facts ??= {};
      this.#facts[name] = value;
    }

    // net.Socket's API, as far as frameworks call it.
    setTimeout(_ms: number, callback?: () => void): this {
      if (callback) this.once("timeout", callback);
      return this;
    }
    setNoDelay(): this {
      return this;
    }
    setKeepAlive(): this {
      return this;
    }
    ref(): this {
      return this;
    }
    unref(): this {
      return this;
    }
    address(): { address: string; port: number; family: string } | Record<string, never> {
      if (this.localAddress === undefined) return {};
      const family = this.localAddress.includes(":") ? "IPv6" : "IPv4";
      return { address: this.localAddress, port: this.localPort ?? 0, family };
    }
  };
}

const FACTS = ["remoteAddress", "remotePort", "remoteFamily", "localAddress", "localPort"] as const;
type Fact = (typeof FACTS)[number];

/** A connection fact from REMOTE_ADDR, REMOTE_PORT, SERVER_ADDR or SERVER_PORT. */
function connectionFact(environ: Environ, name: Fact): string | number | undefined {
  switch (name) {
    case "remoteAddress":
      return environ.REMOTE_ADDR;
    case "remotePort":
      return typeof environ.REMOTE_PORT === "string"
        ? Number(environ.REMOTE_PORT) || undefined
        : undefined;
    case "remoteFamily":
      return environ.REMOTE_ADDR?.includes(":") ? "IPv6" : "IPv4";
    case "localAddress":
      return typeof environ.SERVER_ADDR === "string" ? environ.SERVER_ADDR : undefined;
    case "localPort":
      return Number(environ.SERVER_PORT) || undefined;
  }
}
