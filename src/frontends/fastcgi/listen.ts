import { chmodSync } from "node:fs";
import type { AddressInfo, Server } from "node:net";
import { formatHostPort, type ListenAddress } from "./addresses.js";
import { clearStaleSocket } from "./unix-socket.js";

/**
 * Puts `server` in the listening state at `where`: a TCP port, a Unix socket (a stale socket
 * file is cleared first; the file gets `socketMode`), or an inherited listening socket. Shared by
 * the responder and the `--workers` master, which holds the one listening socket.
 */
export async function listenAt(
  server: Server,
  where: ListenAddress,
  socketMode: number,
): Promise<void> {
  if (where.kind === "unix") await clearStaleSocket(where.path);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once("error", failed);
    const listening = () => {
      server.off("error", failed);
      resolve();
    };
    if (where.kind === "tcp") server.listen(where.port, where.host || undefined, listening);
    else if (where.kind === "unix") bindUnix(server, where.path, socketMode, listening);
    else server.listen({ fd: where.fd }, listening);
  });
  if (where.kind === "unix") chmodSync(where.path, socketMode);
}

// The socket file gets its mode from the umask at bind(2), and chmod comes after: bound under
// a umask that grants nothing socketMode does not, it is never wider in between. Node binds
// a pipe synchronously inside listen(). A worker thread may not set the umask: chmod only.
function bindUnix(server: Server, path: string, socketMode: number, listening: () => void): void {
  let previous: number | null = null;
  try {
    previous = process.umask(0o777 & ~socketMode);
  } catch {
    previous = null;
  }
  try {
    server.listen(path, listening);
  } finally {
    if (previous !== null) process.umask(previous);
  }
}

/** `"127.0.0.1:9000"`, `"[::1]:9000"`, a socket path, `"fd 0"` for an inherited one, or "". */
export function listeningAddress(server: Server, where: ListenAddress | null): string {
  const bound = server.address();
  if (typeof bound === "string") return bound;
  if (bound) return formatHostPort((bound as AddressInfo).address, (bound as AddressInfo).port);
  return where?.kind === "fd" ? `fd ${where.fd}` : "";
}
