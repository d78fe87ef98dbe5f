/**
 * `conditional(app)`: the RFC 9110 preconditions (§13.2.2) and Range (§14) for any app
 * response that carries an ETag or Last-Modified: Plack's ConditionalGET and Werkzeug's
 * `make_conditional`, for apps that do not do it themselves.
 *
 * - Only a 200 to GET or HEAD is touched; the app's own 304/206/... pass through.
 * - 304 and 412: the app's body is closed unread; the 304 keeps the §15.4.5 fields only.
 * - Range needs the app's Content-Length; the body is streamed once and the bytes outside the
 *   ranges are skipped, never buffered whole. A body with Content-Encoding gets no Range
 *   (the representation's bytes are the encoded ones, but a middleware cannot know the app
 *   meant them to be).
 * - An app that starts its response lazily (inside its body's first step) or with `write()`
 *   passes through unchanged: nothing is known before its body runs.
 *
 * @example
 * import { conditional } from "tsgi";
 * const app = conditional((environ, start) => {
 *   start("200 OK", [["Content-Type", "text/plain"], ["ETag", '"v1"'], ["Content-Length", "5"]]);
 *   return [Buffer.from("hello")];
 * });
 */
import type { Application, Body, Headers } from "../core/types.js";
import { captureResponse, closeBody, headerValue } from "./capture-response.js";
import { notModifiedHeaders, planResponse } from "./http/conditional-response.js";
import { parseHttpDate } from "./http/http-date.js";
import { multipartLayout, sliceStream } from "./http/multipart-byteranges.js";
import { contentRange } from "./http/range.js";
import { plainResponse } from "./plain-response.js";

export interface ConditionalOptions {
  /** Ranges in one request before it is served whole; default 16. */
  maxRanges?: number;
}

export function conditional(app: Application, options: ConditionalOptions = {}): Application {
  return async (environ, start) => {
    const method = environ.REQUEST_METHOD;
    if (method !== "GET" && method !== "HEAD") return app(environ, start);
    const capture = captureResponse(start);
    const body = await app(environ, capture.start);
    const held = capture.held();
    const etag = held && headerValue(held.headers, "ETag");
    const lastModified = held && headerValue(held.headers, "Last-Modified");
    if (!held?.status.startsWith("200") || (etag === undefined && lastModified === undefined)) {
      capture.release();
      return body;
    }
    const length = headerValue(held.headers, "Content-Length");
    const size = length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
    const plan = planResponse(environ, {
      etag,
      lastModified: lastModified === undefined ? undefined : parseHttpDate(lastModified),
      size,
      rangeable: headerValue(held.headers, "Content-Encoding") === undefined,
      maxRanges: options.maxRanges,
    });
    switch (plan.kind) {
      case "full":
        capture.release();
        return body;
      case "not-modified":
        await closeBody(body);
        start("304 Not Modified", notModifiedHeaders(held.headers));
        return [];
      case "precondition-failed":
        await closeBody(body);
        return plainResponse(environ, start, "412 Precondition Failed", []);
      case "unsatisfiable":
        await closeBody(body);
        return plainResponse(environ, start, "416 Range Not Satisfiable", [
          ["Content-Range", `bytes */${size}`],
        ]);
    }
    // A stream is read once, front to back: its parts go out in ascending order.
    const ascending = [...plan.ranges].sort((a, b) => a.start - b.start);
    return partial(start, held.headers, body, ascending, size as number);
  };
}

function partial(
  start: Parameters<Application>[1],
  headers: Headers,
  body: Body,
  ranges: Array<{ start: number; end: number }>,
  size: number,
): Body {
  const kept = headers.filter(([n]) => !/^(content-length|content-range|content-type)$/i.test(n));
  const type = headerValue(headers, "Content-Type");
  let segments: Parameters<typeof sliceStream>[1];
  if (ranges.length === 1) {
    const [range] = ranges;
    segments = [range];
    start("206 Partial Content", [
      ...(type ? ([["Content-Type", type]] as Headers) : []),
      ...kept,
      ["Content-Range", contentRange(range, size)],
      ["Content-Length", String(range.end - range.start + 1)],
    ]);
  } else {
    const layout = multipartLayout(ranges, size, type);
    segments = layout.segments;
    start("206 Partial Content", [
      ["Content-Type", layout.contentType],
      ...kept,
      ["Content-Length", String(layout.length)],
    ]);
  }
  const sliced = sliceStream(body, segments);
  return Object.assign(sliced, { close: () => closeBody(body) });
}
