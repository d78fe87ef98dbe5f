import type { IncomingMessage, ServerResponse } from "node:http";

/** A Node request listener: Express 4/5 and Connect apps, Koa's `app.callback()`, ... */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** What {@link fromNode} accepts: a listener, a Koa app, a Fastify instance or an http.Server. */
export type NodeHandler =
  | NodeListener
  | { callback(): NodeListener }
  | { ready(): PromiseLike<unknown>; routing(req: IncomingMessage, res: ServerResponse): unknown }
  | {
      emit(event: "request", req: IncomingMessage, res: ServerResponse): unknown;
      listeners(event: string): unknown[];
    };

export interface Target {
  listener: NodeListener;
  /** Resolves when the handler can take requests (Fastify's ready()); null once it can. */
  booting: (() => Promise<void>) | null;
}

/** The listener behind a handler, told apart by shape (no framework is imported). */
export function resolveTarget(handler: NodeHandler): Target {
  if (typeof handler === "function") return { listener: handler, booting: null };
  const shape = handler as Record<string, unknown>;
  if (handler !== null && typeof handler === "object") {
    if (typeof shape.routing === "function" && typeof shape.ready === "function") {
      return fastifyTarget(handler as { ready(): PromiseLike<unknown>; routing: NodeListener });
    }
    if (typeof shape.callback === "function") {
      // Koa composes its middleware in callback(): made at the first request, so middleware
      // added after fromNode(app) (an app module that exports first) is in it.
      const koa = handler as { callback(): NodeListener };
      let callback: NodeListener | undefined;
      return { listener: (req, res) => (callback ??= koa.callback())(req, res), booting: null };
    }
    if (isServer(shape)) {
      const server = handler as { emit(event: string, ...args: unknown[]): unknown };
      return { listener: (req, res) => server.emit("request", req, res), booting: null };
    }
  }
  const got =
    handler === null
      ? "null"
      : typeof handler === "object"
        ? `an object with keys ${Object.keys(handler).slice(0, 8).join(", ") || "(none)"}`
        : typeof handler;
  throw new TypeError(
    `fromNode(handler): expected a request listener (req, res), an Express/Connect/Koa app, a Fastify instance or an http.Server; got ${got}`,
  );
}

// Fastify boots asynchronously (plugins, routes): wait for ready() once (fastify#804).
function fastifyTarget(fastify: { ready(): PromiseLike<unknown>; routing: NodeListener }): Target {
  let ready: Promise<void> | null = null;
  const target: Target = {
    listener: (req, res) => fastify.routing(req, res),
    booting: () => {
      ready ??= Promise.resolve(fastify.ready()).then(() => {
        target.booting = null;
      });
      return ready;
    },
  };
  return target;
}

// An http.Server (or https): what the app loader's detection calls one (app-kind.ts), plus the
// emit this adapter calls.
function isServer(shape: Record<string, unknown>): boolean {
  return ["listen", "listeners", "emit"].every((name) => typeof shape[name] === "function");
}
