import { unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { Application } from "../../core/types.js";
import { type ListenAddress, parseListenAddress, parseWebServerAddrs } from "./addresses.js";
import { FcgiConnection } from "./connection.js";
import type { ServerContext } from "./context.js";
import type { ReleaseTarget } from "./detach.js";
import { type FastCgiOptions, resolveLimits } from "./limits.js";
import { listenAt, listeningAddress } from "./listen.js";
import { createOperations, type Operations } from "./ops/index.js";
import { peerLabel } from "./peer.js";
import { ThrottledLog } from "./throttled-log.js";

export type { ReleaseTarget } from "./detach.js";
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

/**
 * What a worker process (issue 10, `--workers N`) needs beyond a server: connections accepted
 * elsewhere, a listening socket shared with other processes, and a drain that hands idle
 * connections on instead of closing them.
 */
export interface FastCgiWorkerServer extends FastCgiServer {
  /** Serves a connection accepted by another process; `unread` is what it had read of it. */
  adopt(socket: Socket, unread?: Buffer): void;
  /** Accepts on a listening socket received from another process (`--balance kernel`). */
  listenShared(handle: Server): Promise<void>;
  /**
   * Like shutdown(), but a connection with no request in flight is handed to `give` at a
   * record boundary (issue 10 §2) instead of being closed; busy ones follow once idle.
   */
  handOff(give: ReleaseTarget, graceMs?: number): Promise<void>;
  /** Open connections and requests in flight, for the master's balancing and status. */
  stats(): { connections: number; active: number };
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

/** The same responder, with what a worker process needs (see {@link FastCgiWorkerServer}). */
export function createFastCgiWorkerServer(
  app: Application,
  options: FastCgiOptions = {},
): FastCgiWorkerServer {
  return new FastCgiResponder(app, options);
}

class FastCgiResponder implements FastCgiWorkerServer {
  readonly #ctx: ServerContext;
  readonly #server: Server;
  readonly #connections = new Set<FcgiConnection>();
  readonly #socketMode: number;
  readonly #allowed: ((peer: string) => boolean) | null;
  #where: ListenAddress | null = null;
  #unixPath: string | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #stopped = false;
  /** Called when the last connection is gone (shutdown waits for adopted ones too). */
  #whenEmpty: Array<() => void> = [];
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
    await listenAt(this.#server, where, this.#socketMode);
    if (where.kind === "unix") this.#unixPath = where.path;
    this.#where = where;
    this.#startSweeper();
  }

  listenShared(handle: Server): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(handle, () => {
        this.#server.off("error", reject);
        this.#startSweeper();
        resolve();
      });
    });
  }

  adopt(socket: Socket, unread?: Buffer): void {
    if (this.#stopped) {
      this.#refuse(socket, "the server is shutting down");
      return;
    }
    // Sockets made from a received handle are not half-open as accepted ones are (see below).
    socket.allowHalfOpen = true;
    if (this.#sweeper === null) this.#startSweeper();
    const connection = this.#connect(socket);
    if (connection && unread) connection.feed(unread);
    // A socket accepted with pauseOnConnect (or paused by its previous owner) stays paused
    // whatever listens to it: start reading.
    if (connection && socket.isPaused()) socket.resume();
  }

  handOff(give: ReleaseTarget, graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<void> {
    const closed = this.#stopListening();
    const cutOff = setTimeout(() => this.#destroyAll(), graceMs);
    cutOff.unref();
    for (const connection of [...this.#connections]) connection.releaseWhenIdle(give);
    return closed.finally(() => clearTimeout(cutOff));
  }

  stats(): { connections: number; active: number } {
    return { connections: this.#connections.size, active: this.#ctx.active };
  }

  #port(): number | null {
    const bound = this.#server.address();
    return bound !== null && typeof bound === "object" ? bound.port : null;
  }

  address(): string {
    return listeningAddress(this.#server, this.#where);
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

  /** Stops accepting; resolves when the listener closed and the last connection is gone. */
  #stopListening(): Promise<void> {
    this.#ops?.stop();
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    this.#where = null;
    this.#stopped = true;
    const listener = new Promise<void>((resolve) => {
      this.#server.close(() => {
        this.#removeSocketFile();
        resolve();
      });
      if (!this.#server.listening) this.#removeSocketFile();
    });
    // net.Server's close callback waits for the connections it accepted, not for adopted ones.
    const empty = new Promise<void>((resolve) => {
      if (this.#connections.size === 0) resolve();
      else this.#whenEmpty.push(resolve);
    });
    return Promise.all([listener, empty]).then(() => {});
  }

  #destroyAll(): void {
    for (const connection of [...this.#connections]) connection.destroy();
  }

  readonly #accept = (socket: Socket): void => {
    this.#connect(socket);
  };

  #connect(socket: Socket): FcgiConnection | null {
    const { maxConns } = this.#ctx.limits;
    const peer = socket.remoteAddress;
    if (this.#connections.size >= maxConns) {
      this.#refuse(socket, `maxConns ${maxConns} reached`);
    } else if (this.#allowed !== null && peer !== undefined && !this.#allowed(peer)) {
      // FastCGI 1.0 §3.2: only the listed web servers may connect (TCP peers only).
      this.#refuse(socket, "not in FCGI_WEB_SERVER_ADDRS");
    } else {
      const connection = new FcgiConnection(socket, this.#ctx, this.#gone);
      this.#connections.add(connection);
      return connection;
    }
    return null;
  }

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
    if (this.#connections.size > 0 || this.#whenEmpty.length === 0) return;
    const waiting = this.#whenEmpty;
    this.#whenEmpty = [];
    for (const resolve of waiting) resolve();
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
