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
    // What a net.Socket / tls.TLSSocket tells about the connection (Express reads these).
    remoteAddress: string | undefined;
    remotePort: number | undefined;
    localAddress: string | undefined;
    localPort: number | undefined;
    remoteFamily: string | undefined;
    /** Set (true) only for https, as tls.TLSSocket: Express's req.secure / req.protocol. */
    encrypted?: true;
    /** net.Socket's flag: set when the response broke, so Node's onFinish emits no `finish`. */
    _hadError = false;
    /** The response on this socket, as Node's server keeps it (`assignSocket`). */
    _httpMessage: ServerResponse | null = null;

    readonly environ: Environ;
    req: IncomingMessage | null = null;
    res: ServerResponse | null = null;

    constructor(environ: Environ, highWaterMark: number | undefined) {
      super({ decodeStrings: false, allowHalfOpen: true, writableHighWaterMark: highWaterMark });
      this.environ = environ;
      const remotePort = environ.REMOTE_PORT;
      const localPort = environ.SERVER_PORT;
      this.remoteAddress = environ.REMOTE_ADDR;
      this.remotePort =
        typeof remotePort === "string" ? Number(remotePort) || undefined : undefined;
      this.remoteFamily = this.remoteAddress?.includes(":") ? "IPv6" : "IPv4";
      const serverAddr = environ.SERVER_ADDR;
      this.localAddress = typeof serverAddr === "string" ? serverAddr : undefined;
      this.localPort = Number(localPort) || undefined;
      if (environ["tsgi.url_scheme"] === "https") this.encrypted = true;
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
