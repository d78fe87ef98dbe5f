import type { Application } from "./types.js";

/** A page the gateway answers with itself, when no app runs: status, headers and body. */
export interface GatewayPage {
  status: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/**
 * A plain-text page for `status` ("431 Request Header Fields Too Large"): its reason phrase,
 * then `reason` if given. The reason is the gateway's own message about the web server's bytes,
 * never anything of the application.
 */
export function gatewayPage(status: string, reason?: string): GatewayPage {
  const phrase = status.slice(status.indexOf(" ") + 1);
  const body = Buffer.from(reason ? `${phrase}: ${reason}\n` : `${phrase}\n`, "latin1");
  return {
    status,
    headers: [
      ["Content-Type", "text/plain; charset=utf-8"],
      ["Content-Length", String(body.length)],
    ],
    body,
  };
}

/**
 * The 400 page a front-end answers with when the web server's request is malformed (a
 * CONTENT_LENGTH that is not a byte count, RFC 3875 §4.1.2): no environ could be built, so no
 * app runs.
 */
export function badRequestPage(reason?: string): GatewayPage {
  return gatewayPage("400 Bad Request", reason);
}

/** A fixed page as an application, so it goes through the same checks as any other. */
export function pageApp(page: GatewayPage): Application {
  return (_environ, startResponse) => {
    startResponse(page.status, page.headers);
    return [page.body];
  };
}

/**
 * The 500 page. It never shows the error: the stack goes to `tsgi.errors`, not to the client.
 */
export const errorApp: Application = pageApp(gatewayPage("500 Internal Server Error"));

/** The 400 page as an application, for a front-end that runs it through the core. */
export const badRequestApp: Application = pageApp(badRequestPage());
