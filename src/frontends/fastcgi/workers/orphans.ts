import type { ChildProcess } from "node:child_process";
import { Socket } from "node:net";
import { detachSocket } from "../detach.js";
import { decodeBytes } from "./ipc.js";

interface PendingMessage {
  message?: { msg?: { unread?: unknown }; unread?: unknown };
  handle?: unknown;
}

interface ChannelInternals {
  _pendingMessage?: PendingMessage | null;
  _handleQueue?: unknown[] | null;
}

/**
 * The connection a worker died with before acknowledging it. Node sends handles one at a time
 * and keeps the one in flight until the receiver's NODE_HANDLE_ACK; when the receiver dies
 * first, a channel with handles queued never finishes disconnecting, so that handle is never
 * closed and the web server waits on a connection nobody serves (Node 20,
 * lib/internal/child_process.js: `disconnect()` postpones `_disconnect()` until the queue is
 * flushed). It comes back as a Socket, for another worker; the queued ones are still Sockets
 * with their handles, which the master tracks itself.
 */
export function reclaimInFlight(child: ChildProcess): { socket: Socket; unread: Buffer } | null {
  const internals = child as unknown as ChannelInternals;
  const pending = internals._pendingMessage;
  internals._pendingMessage = null;
  internals._handleQueue = null;
  if (!pending?.handle) return null;
  const socket = new Socket({ handle: pending.handle, readable: true, writable: true } as never);
  const unread = decodeBytes(pending.message?.msg?.unread ?? pending.message?.unread);
  const more = detachSocket(socket);
  return { socket, unread: more.length > 0 ? Buffer.concat([unread, more]) : unread };
}
