import type { Application } from "./types.js";

const PAGE = new TextEncoder().encode("Internal Server Error\n");

/**
 * The 500 page, itself an application so it goes through the same checks as any other. It
 * never shows the error: the stack goes to `tsgi.errors`, not to the client.
 */
export const errorApp: Application = (_environ, startResponse) => {
  startResponse("500 Internal Server Error", [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Content-Length", String(PAGE.length)],
  ]);
  return [PAGE];
};
