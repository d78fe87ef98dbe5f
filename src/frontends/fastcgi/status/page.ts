import type { Application, Environ } from "../../../core/types.js";
import { parseStatusQuery, type RenderedStatus, renderStatus } from "./render.js";
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
    const page = renderQuery(snapshot(), environ.QUERY_STRING ?? "");
    return pageBody(startResponse, page);
  };
}

/** The page for a query string (`json&full`): what a master sends a worker. */
export function renderQuery(snapshot: StatusSnapshot, query: string): RenderedStatus {
  const { format, full } = parseStatusQuery(query);
  return renderStatus(snapshot, format, full);
}

/** The status page as an app whose page comes from elsewhere (a worker asks its master). */
export function remoteStatusApp(fetch: (query: string) => Promise<RenderedStatus>): Application {
  return async (environ, startResponse) => {
    let page: RenderedStatus;
    try {
      page = await fetch(environ.QUERY_STRING ?? "");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      page = { contentType: "text/plain; charset=utf-8", body: `status unavailable: ${reason}\n` };
      return pageBody(startResponse, page, "503 Service Unavailable");
    }
    return pageBody(startResponse, page);
  };
}

/** The status and header lines of a page, for an app or for a master writing records itself. */
export function pageHeaders(page: RenderedStatus, length: number): Array<[string, string]> {
  return [["Content-Type", page.contentType], ["Content-Length", String(length)], ...NO_CACHE];
}

function pageBody(
  startResponse: Parameters<Application>[1],
  page: RenderedStatus,
  status = "200 OK",
): Uint8Array[] {
  const body = Buffer.from(page.body, "utf8");
  startResponse(status, pageHeaders(page, body.length));
  return [body];
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
