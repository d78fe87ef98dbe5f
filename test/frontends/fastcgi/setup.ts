import { afterEach } from "vitest";
import type { Application } from "../../../src/core/types.js";
import { createFastCgiServer, type FastCgiServer } from "../../../src/fastcgi.js";
import type { FastCgiOptions } from "../../../src/frontends/fastcgi/limits.js";
import { FcgiClient } from "../../helpers/fastcgi-client.js";

export interface Started {
  server: FastCgiServer;
  address: string;
  logs: string[];
  client(): Promise<FcgiClient>;
}

const running: Array<{ server: FastCgiServer; clients: FcgiClient[] }> = [];

afterEach(async () => {
  for (const { server, clients } of running.splice(0)) {
    for (const c of clients) c.close();
    await server.close();
  }
});

/** A server for `app` on an ephemeral port (or `address`), closed after the test. */
export async function start(
  app: Application,
  options: FastCgiOptions = {},
  address = "127.0.0.1:0",
): Promise<Started> {
  const logs: string[] = [];
  const server = createFastCgiServer(app, { log: (line) => logs.push(line), ...options });
  await server.listen(address);
  const entry = { server, clients: [] as FcgiClient[] };
  running.push(entry);
  return {
    server,
    address: server.address(),
    logs,
    client: async () => {
      const c = await FcgiClient.connect(server.address());
      entry.clients.push(c);
      return c;
    },
  };
}

export const text = (s: string) => new TextEncoder().encode(s);

export const hello: Application = (_environ, startResponse) => {
  startResponse("200 OK", [
    ["Content-Type", "text/plain"],
    ["Content-Length", "14"],
  ]);
  return [text("Hello, world!\n")];
};

/** Echoes method, path and the body. */
export const echo: Application = async (environ, startResponse) => {
  const body = await environ["tsgi.input"].read();
  startResponse("200 OK", [["Content-Type", "application/octet-stream"]]);
  return [text(`${environ.REQUEST_METHOD} ${environ.PATH_INFO} ${body.length}\n`), body];
};

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
