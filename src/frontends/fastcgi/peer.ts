import type { Socket } from "node:net";

/** How long a broken connection may take to hand its last bytes to a web server. */
const BREAK_GRACE_MS = 5000;

/** "127.0.0.1:51234", "[::1]:51234", or "unix" for a Unix socket peer. */
export function peerLabel(socket: Socket): string {
  const address = socket.remoteAddress;
  if (address === undefined) return "unix";
  const host = address.includes(":") ? `[${address}]` : address;
  return `${host}:${socket.remotePort}`;
}

/** Ends `socket` once its writes went out; a peer that stops reading is cut off after BREAK_GRACE_MS. */
export function endWithGrace(socket: Socket): void {
  socket.end();
  const cutOff = setTimeout(() => socket.destroy(), BREAK_GRACE_MS);
  cutOff.unref();
  socket.once("close", () => clearTimeout(cutOff));
}
