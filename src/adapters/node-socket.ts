import type { Environ, StartResponse } from "../core/types.js";
import { nodeStream } from "./builtins.js";
import { type BodySocket, defineRequestBody } from "./node-socket-body.js";
import { defineNetSocket } from "./node-socket-net.js";
import { defineResponseSide } from "./node-socket-response.js";

type Step = IteratorResult<Uint8Array, undefined>;

/**
 * The connection a Node request listener sees when tsgi runs it (fromNode): a genuine Duplex
 * under a genuine `IncomingMessage`/`ServerResponse` pair. Express swaps the prototypes of
 * `req` and `res` on every request, so everything tsgi adds lives here, never on them
 * (light-my-request and node-fastcgi broke on exactly that; adapters-notes.md).
 *
 * One class, built in three layers on the Duplex loaded on first use (see builtins.ts):
 * - node-socket-net.ts: the connection facts (addresses, `encrypted`) and net.Socket's calls.
 * - node-socket-body.ts: the readable side, the request body pulled from `tsgi.input`.
 * - node-socket-response.ts: the writable side, the response head and body Node writes.
 */
export interface NodeSocket extends BodySocket {
  nextChunk(): Step | Promise<Step>;
  settled(): Buffer[] | null;
  written(): Promise<void> | null;
  stop(reason: unknown): void;
  finished(): void;
  gone(reason: unknown): void;
  fail(error: unknown): void;
}

export type NodeSocketClass = new (
  environ: Environ,
  startResponse: StartResponse,
  highWaterMark: number | undefined,
) => NodeSocket;

let NodeSocketClass: NodeSocketClass | undefined;

/** A socket for one request. */
export function createSocket(
  environ: Environ,
  startResponse: StartResponse,
  highWaterMark: number | undefined,
): NodeSocket {
  NodeSocketClass ??= defineResponseSide(defineRequestBody(defineNetSocket(nodeStream().Duplex)));
  return new NodeSocketClass(environ, startResponse, highWaterMark);
}

/** Whether a request's socket is one of tsgi's (environOf). */
export function isNodeSocket(value: unknown): value is NodeSocket {
  return NodeSocketClass !== undefined && value instanceof NodeSocketClass;
}
