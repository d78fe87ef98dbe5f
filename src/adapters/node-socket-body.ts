import type { IncomingMessage } from "node:http";
import type { Environ } from "../core/types.js";
import type { NetSocket, NetSocketClass } from "./node-socket-net.js";

/** The readable side of tsgi's socket: the request body, pulled from `tsgi.input`. */
export interface BodySocket extends NetSocket {
  streamBody(first: Uint8Array | null, rest: AsyncIterator<Uint8Array>): void;
}

export type BodySocketClass = new (
  environ: Environ,
  highWaterMark: number | undefined,
) => BodySocket;

/**
 * The readable side is never read: `IncomingMessage._read` calls `socket.resume()` when it
 * wants body bytes; here that pulls `tsgi.input` and pushes into the request, with backpressure.
 */
export function defineRequestBody(Base: NetSocketClass): BodySocketClass {
  return class RequestBodySocket extends Base {
    // Request side.
    #body: AsyncIterator<Uint8Array> | null = null;
    #first: Uint8Array | null = null; // a chunk read ahead to learn whether a body exists
    #wanted = false;
    #pumping = false;

    /** The request has a body to stream from `tsgi.input`; `first` was read ahead, if any. */
    streamBody(first: Uint8Array | null, rest: AsyncIterator<Uint8Array>): void {
      this.#first = first;
      this.#body = rest;
    }

    /** IncomingMessage._read -> readStart(socket) -> here: the request wants more bytes. */
    override resume(): this {
      this.#wanted = true;
      if (!this.#pumping && (this.#body !== null || this.#first !== null)) void this.#pump();
      return this;
    }

    override pause(): this {
      this.#wanted = false;
      return this;
    }

    async #pump(): Promise<void> {
      const req = this.req as IncomingMessage;
      this.#pumping = true;
      try {
        while (this.#wanted) {
          let chunk = this.#first;
          this.#first = null;
          if (chunk === null) {
            const step = await (this.#body as AsyncIterator<Uint8Array>).next();
            if (req.destroyed) return;
            if (step.done) {
              this.#body = null;
              req.complete = true;
              req.push(null); // never emit("end"): late listeners would miss it (srvx#232)
              return;
            }
            chunk = step.value;
          }
          // push() may call _read (-> resume) at once: that sets #wanted again.
          this.#wanted = false;
          if (req.push(chunk)) this.#wanted = true;
        }
      } catch (error) {
        this.#body = null;
        if (!req.destroyed) req.destroy(aborted(error));
      } finally {
        this.#pumping = false;
      }
    }

    override _read(): void {}
  };
}

/** The error Node gives a request whose client left (abortIncoming: ECONNRESET "aborted"). */
export function aborted(cause: unknown): Error {
  const error = new Error("aborted", { cause }) as Error & { code: string };
  error.code = "ECONNRESET";
  return error;
}
