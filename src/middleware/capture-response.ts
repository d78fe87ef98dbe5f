/**
 * Holds back an app's start_response until the middleware has seen the body the app returned,
 * so it can answer differently (304, 206, an X-Sendfile header) before anything is sent.
 *
 * If the app writes with the `write()` it got, or starts only lazily inside its body's first
 * step (design §1 rule 4), the response passes through unchanged: nothing was held back.
 */
import type { Headers, StartResponse, Write } from "../core/types.js";

export interface Captured {
  /** The start_response to give the app. */
  start: StartResponse;
  /** The status and headers the app started with, if it did before returning its body. */
  held(): { status: string; headers: Headers } | undefined;
  /** Sends the app's own status and headers on, and forwards later calls: pass-through. */
  release(): void;
}

export function captureResponse(start: StartResponse): Captured {
  let held: { status: string; headers: Headers; excInfo?: unknown } | undefined;
  let write: Write | undefined;
  let passing = false;
  const release = () => {
    passing = true;
    if (held && !write) write = start(held.status, held.headers, held.excInfo);
  };
  return {
    start: (status, headers, excInfo) => {
      if (passing) {
        write = start(status, headers, excInfo);
        return write;
      }
      held = { status, headers, excInfo };
      write = undefined;
      return (chunk) => {
        release();
        return (write as Write)(chunk);
      };
    },
    held: () => (passing ? undefined : held),
    release,
  };
}

/** The first value of a header, case-insensitive. */
export function headerValue(headers: Headers, name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** Calls a body's close() if it has one. */
export async function closeBody(body: { close?(): void | Promise<void> }): Promise<void> {
  await body.close?.();
}
