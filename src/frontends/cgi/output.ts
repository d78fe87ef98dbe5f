import { writeSync } from "node:fs";
import type { Writable } from "node:stream";
import { ClientGoneError } from "../../core/errors.js";
import type { ErrorStream } from "../../core/types.js";

/**
 * Where the CGI response bytes go. `write` returns a promise when the caller must wait before
 * the next write (backpressure), and throws or rejects with a ClientGoneError once the web
 * server stopped reading (EPIPE: the client left).
 */
export interface Output {
  write(bytes: Uint8Array): void | Promise<void>;
  /** Resolves once every byte written so far was handed to the OS. */
  flush(): void | Promise<void>;
}

/**
 * A Node Writable (an injected stream, or process.stdout): `write()` false means wait for
 * "drain"; an "error" event means the reader is gone.
 */
export function streamOutput(out: Writable, onGone: (error: ClientGoneError) => void): Output {
  let gone: ClientGoneError | null = null;
  const leave = (error: unknown): ClientGoneError => {
    if (!gone) {
      gone = error instanceof ClientGoneError ? error : clientGone(error);
      onGone(gone);
    }
    return gone;
  };
  out.on("error", leave);
  return {
    write(bytes) {
      if (gone) throw gone;
      if (out.write(bytes)) return;
      return new Promise((resolve, reject) => {
        const settle = (error?: unknown) => {
          out.off("drain", onDrain);
          out.off("error", settle);
          out.off("close", onClose);
          if (error === undefined) resolve();
          else reject(leave(error));
        };
        const onDrain = () => settle();
        const onClose = () =>
          settle(new ClientGoneError("stdout closed before the response ended"));
        out.on("drain", onDrain);
        out.on("error", settle);
        out.on("close", onClose);
      });
    },
    flush() {
      if (gone) return Promise.reject(gone);
      return new Promise((resolve, reject) => {
        out.write(new Uint8Array(0), (error) => (error ? reject(leave(error)) : resolve()));
      });
    },
  };
}

/**
 * A file descriptor written with blocking writes: the default for stdout under CGI.
 *
 * Why not process.stdout: for a pipe (what Apache's mod_cgi and fcgiwrap give a script) it
 * loads node:net and builds a socket, which measured ~2.7 ms on a ~20 ms CGI start-up
 * (bench/cgi-startup.mjs). A CGI process serves exactly one request, so a write that blocks
 * until the web server has read the bytes is the backpressure, and loses nothing. Should the
 * descriptor be non-blocking (EAGAIN), the rest goes through the `fallback` stream, which
 * waits for "drain".
 */
export function fdOutput(
  fd: number,
  onGone: (error: ClientGoneError) => void,
  fallback: () => Writable,
): Output {
  let gone: ClientGoneError | null = null;
  let stream: Output | null = null;
  const leave = (error: unknown): ClientGoneError => {
    if (!gone) {
      gone = clientGone(error);
      onGone(gone);
    }
    return gone;
  };
  return {
    write(bytes) {
      if (gone) throw gone;
      if (stream) return stream.write(bytes);
      let offset = 0;
      try {
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw leave(error);
        stream = streamOutput(fallback(), leave);
        return stream.write(bytes.subarray(offset));
      }
    },
    flush() {
      if (gone) return Promise.reject(gone);
      return stream?.flush();
    },
  };
}

/**
 * Under CGI, stdout is the response (RFC 3875 §6): from now on `process.stdout` is
 * `process.stderr`, so what an app prints (`console.log`, a request logger such as morgan,
 * `process.stdout.write`) reaches the web server's error log, never the response. Node's global
 * console reads `process.stdout` at its first use, so it follows. Returns the real stdout, made
 * only if asked (the EAGAIN fallback above). A direct `fs.writeSync(1, ...)` is not redirected:
 * Node has no dup2, and the response itself must go to fd 1. Costs one property definition.
 */
export function takeStdout(): () => Writable {
  if (realStdout) return realStdout;
  const real = Object.getOwnPropertyDescriptor(process, "stdout");
  const get = real?.get ?? (() => real?.value as Writable);
  Object.defineProperty(process, "stdout", {
    configurable: true,
    enumerable: real?.enumerable ?? true,
    get: () => process.stderr,
  });
  realStdout = () => get.call(process) as Writable;
  return realStdout;
}

let realStdout: (() => Writable) | undefined;

function clientGone(error: unknown): ClientGoneError {
  const code = (error as { code?: unknown } | null)?.code;
  const what = typeof code === "string" ? code : String(error);
  return new ClientGoneError(`client went away: ${what} on stdout`, { cause: error });
}

/**
 * `tsgi.errors` on a file descriptor (stderr): blocking writes, for the start-up reason above.
 * A stderr nobody reads any more (EPIPE) must not take the request down: the line is dropped.
 */
export function fdErrors(fd: number, fallback: () => Writable): ErrorStream {
  let stream: Writable | null = null;
  return {
    write(text) {
      if (stream) {
        stream.write(text);
        return;
      }
      try {
        writeSync(fd, text);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") return;
        stream = fallback();
        stream.on("error", () => {});
        stream.write(text);
      }
    },
    flush() {},
  };
}
