import type { Application, Environ } from "../../../core/types.js";
import { parseStatusQuery, renderStatus } from "./render.js";
import type { StatusSnapshot } from "./snapshot.js";

/** The path a status or ping request names: SCRIPT_NAME + PATH_INFO (FPM compares SCRIPT_NAME). */
export function requestPath(environ: Environ): string {
  return `${environ.SCRIPT_NAME ?? ""}${environ.PATH_INFO ?? ""}`;
}

const NO_CACHE: Array<[string, string]> = [
  ["Cache-Control", "no-cache, no-store, must-revalidate"],
  ["Expires", "Thu, 01 Jan 1970 00:00:00 GMT"],
];

/** The status page as an app, rendered from `snapshot()` in the format the query asks for. */
export function statusApp(snapshot: () => StatusSnapshot): Application {
  return (environ, startResponse) => {
    const { format, full } = parseStatusQuery(environ.QUERY_STRING ?? "");
    const page = renderStatus(snapshot(), format, full);
    const body = Buffer.from(page.body, "utf8");
    startResponse("200 OK", [
      ["Content-Type", page.contentType],
      ["Content-Length", String(body.length)],
      ...NO_CACHE,
    ]);
    return [body];
  };
}

const PONG = Buffer.from("pong\n");

/** FPM's ping page: `pong`, never cached. */
export const pingApp: Application = (_environ, startResponse) => {
  startResponse("200 OK", [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Content-Length", String(PONG.length)],
    ...NO_CACHE,
  ]);
  return [PONG];
};
