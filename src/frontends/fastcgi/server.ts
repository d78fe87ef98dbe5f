import { chmodSync, unlinkSync } from "node:fs";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import type { Application } from "../../core/types.js";
import {
  formatHostPort,
  type ListenAddress,
  parseListenAddress,
  parseWebServerAddrs,
} from "./addresses.js";
import { FcgiConnection, peerLabel } from "./connection.js";
import type { ServerContext } from "./context.js";
import { type FastCgiOptions, resolveLimits } from "./limits.js";
import { createOperations, type Operations } from "./ops/index.js";
import { ThrottledLog } from "./throttled-log.js";
import { clearStaleSocket } from "./unix-socket.js";

export type { FastCgiOptions } from "./limits.js";

export interface FastCgiServer {
  /** `"HOST:PORT"`, a Unix socket path (or `unix:PATH`), or fd 0 when omitted. */
  listen(address?: string | { fd: number }): Promise<void>;
  /** Stops accepting, aborts the requests in flight, removes a Unix socket it created. */
  close(): Promise<void>;
  /**
   * Stops accepting and lets the requests in flight finish: each connection closes once it has
   * none, and whatever is still running after `graceMs` is aborted as by `close()`. Resolves
   * when every connection is closed.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Where it listens: `"127.0.0.1:9000"`, `"[::1]:9000"`, `"/run/app.sock"`. */
  address(): string;
}

const DEFAULT_SOCKET_MODE = 0o660;
/** How long `shutdown()` waits for requests in flight by default. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

function stderrLog(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * A FastCGI 1.0 RESPONDER for `app`: multiplexed connections, FCGI_KEEP_CONN both ways,
 * GET_VALUES, limits, FCGI_WEB_SERVER_ADDRS, and responses that go out in one write.
 *
 * @example
 * const server = createFastCgiServer(app);
 * await server.listen("127.0.0.1:9000"); // nginx: fastcgi_pass 127.0.0.1:9000;
 */
export function createFastCgiServer(app: Application, options: FastCgiOptions = {}): FastCgiServer {
  return new FastCgiResponder(app, options);
}

class FastCgiResponder implements FastCgiServer {
  readonly #ctx: ServerContext;
  readonly #server: Server;
  readonly #connections = new Set<FcgiConnection>();
  readonly #socketMode: number;
  readonly #allowed: ((peer: string) => boolean) | null;
  #where: ListenAddress | null = null;
  #unixPath: string | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  readonly #refusedLog: ThrottledLog;
  /** Status and ping pages, the slow log: null unless asked for. */
  readonly #ops: Operations | null;

  constructor(app: Application, options: FastCgiOptions) {
    const log = options.log ?? stderrLog;
    this.#ops = createOperations(app, options, { log, port: () => this.#port() });
    this.#ctx = {
      app: this.#ops?.app ?? app,
      limits: resolveLimits(options),
      log,
      active: 0,
      clock: Date.now(),
      overloadLog: new ThrottledLog(log),
      unexpected: (error) => log(`tsgi: fastcgi: unexpected error: ${describeError(error)}`),
    };
    this.#refusedLog = new ThrottledLog(log);
    this.#socketMode = options.socketMode ?? DEFAULT_SOCKET_MODE;
    this.#allowed = parseWebServerAddrs(process.env.FCGI_WEB_SERVER_ADDRS, log);
    // A web server may shut down its sending side after a request and still read the answer.
    this.#server = createServer({ allowHalfOpen: true }, this.#accept);
    this.#server.on("error", (error) => log(`tsgi: fastcgi: server error: ${error.message}`));
  }

  async listen(address?: string | { fd: number }): Promise<void> {
    if (this.#server.listening || this.#where !== null) {
      throw new Error(`this FastCGI server already listens on ${this.address()}`);
    }
    const where = parseListenAddress(address);
    if (where.kind === "unix") await clearStaleSocket(where.path);
    await this.#listenOn(where);
    if (where.kind === "unix") {
      this.#unixPath = where.path;
      chmodSync(where.path, this.#socketMode);
    }
    this.#where = where;
    this.#startSweeper();
  }

  #listenOn(where: ListenAddress): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = this.#server;
      const failed = (error: Error) => reject(error);
      server.once("error", failed);
      const listening = () => {
        server.off("error", failed);
        resolve();
      };
      if (where.kind === "tcp") server.listen(where.port, where.host || undefined, listening);
      else if (where.kind === "unix") this.#bindUnix(where.path, listening);
      else server.listen({ fd: where.fd }, listening);
    });
  }

  // The socket file gets its mode from the umask at bind(2), and chmod comes after: bound under
  // a umask that grants nothing socketMode does not, it is never wider in between. Node binds
  // a pipe synchronously inside listen(). A worker thread may not set the umask: chmod only.
  #bindUnix(path: string, listening: () => void): void {
    let previous: number | null = null;
    try {
      previous = process.umask(0o777 & ~this.#socketMode);
    } catch {
      previous = null;
    }
    try {
      this.#server.listen(path, listening);
    } finally {
      if (previous !== null) process.umask(previous);
    }
  }

  #port(): number | null {
    const bound = this.#server.address();
    return bound !== null && typeof bound === "object" ? bound.port : null;
  }

  address(): string {
    const bound = this.#server.address();
    if (typeof bound === "string") return bound;
    if (bound) return formatHostPort((bound as AddressInfo).address, (bound as AddressInfo).port);
    return this.#where?.kind === "fd" ? `fd ${this.#where.fd}` : "";
  }

  close(): Promise<void> {
    const closed = this.#stopListening();
    this.#destroyAll();
    return closed;
  }

  shutdown(graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<void> {
    const closed = this.#stopListening();
    // The sweeper stopped with the listener, and a draining connection still owes its params
    // and idle timeouts: the grace period bounds them all.
    const cutOff = setTimeout(() => this.#destroyAll(), graceMs);
    cutOff.unref();
    let inFlight = 0;
    for (const connection of this.#connections) inFlight += connection.size;
    if (inFlight > 0) {
      this.#ctx.log(
        `tsgi: fastcgi: shutting down: waiting up to ${graceMs} ms for ${inFlight} request(s) in flight`,
      );
    }
    for (const connection of [...this.#connections]) connection.drain();
    return closed.finally(() => clearTimeout(cutOff));
  }

  /** net.Server's close callback waits for every connection: resolves when the last is gone. */
  #stopListening(): Promise<void> {
    this.#ops?.stop();
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    this.#where = null;
    return new Promise((resolve) => {
      this.#server.close(() => {
        this.#removeSocketFile();
        resolve();
      });
      if (!this.#server.listening) this.#removeSocketFile();
    });
  }

  #destroyAll(): void {
    for (const connection of [...this.#connections]) connection.destroy();
  }

  readonly #accept = (socket: Socket): void => {
    const { maxConns } = this.#ctx.limits;
    const peer = socket.remoteAddress;
    if (this.#connections.size >= maxConns) {
      this.#refuse(socket, `maxConns ${maxConns} reached`);
    } else if (this.#allowed !== null && peer !== undefined && !this.#allowed(peer)) {
      // FastCGI 1.0 §3.2: only the listed web servers may connect (TCP peers only).
      this.#refuse(socket, "not in FCGI_WEB_SERVER_ADDRS");
    } else {
      this.#connections.add(new FcgiConnection(socket, this.#ctx, this.#gone));
    }
  };

  #refuse(socket: Socket, why: string): void {
    this.#refusedLog.line(
      Date.now(),
      `tsgi: fastcgi: refused connection from ${peerLabel(socket)}: ${why}`,
    );
    socket.on("error", noop);
    socket.destroy();
  }

  readonly #gone = (connection: FcgiConnection): void => {
    this.#connections.delete(connection);
  };

  // One coarse interval serves every timeout: no timer per request or per connection.
  #startSweeper(): void {
    const { idleTimeoutMs, paramsTimeoutMs, requestTimeoutMs } = this.#ctx.limits;
    const shortest = Math.min(idleTimeoutMs, paramsTimeoutMs, requestTimeoutMs || Infinity);
    const every = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
    this.#sweeper = setInterval(this.#sweep, every);
    this.#sweeper.unref();
  }

  readonly #sweep = (): void => {
    const now = Date.now();
    this.#ctx.clock = now;
    for (const connection of this.#connections) connection.sweep(now);
  };

  #removeSocketFile(): void {
    const path = this.#unixPath;
    this.#unixPath = null;
    if (path === null) return;
    try {
      unlinkSync(path);
    } catch {
      // Already gone (libuv unlinks it on close).
    }
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function noop(): void {}
