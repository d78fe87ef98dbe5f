import type { Socket } from "node:net";

interface StreamHandle {
  reading?: boolean;
  readStop?: () => number;
}

/**
 * Stops reading `socket` and returns what it read that nobody consumed yet: the bytes to pass
 * along with the socket when it moves to another process (issue 10 §2, the hand-off). After
 * this the kernel keeps whatever else arrives for the next owner.
 *
 * Node's `child.send(msg, socket)` stops delivering reads but does not stop libuv from reading
 * (it replaces the handle's `onread` with a no-op), so bytes that arrived in between would be
 * lost. `readStop()` on the handle closes that window; it runs synchronously with the send, so
 * no read can slip in between.
 */
export function detachSocket(socket: Socket): Buffer {
  socket.pause();
  const chunks: Buffer[] = [];
  for (let chunk = socket.read(); chunk !== null; chunk = socket.read()) chunks.push(chunk);
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (handle) {
    handle.reading = false;
    handle.readStop?.();
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** False once the socket's handle left for another process (or it was destroyed). */
export function hasHandle(socket: Socket): boolean {
  return !socket.destroyed && Boolean((socket as unknown as { _handle?: unknown })._handle);
}

/** Where a released connection goes: its socket, paused, and the bytes it had read unhandled. */
export type ReleaseTarget = (socket: Socket, unread: Buffer) => void;
