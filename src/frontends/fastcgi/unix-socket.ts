import { lstatSync, unlinkSync } from "node:fs";
import { connect } from "node:net";

/**
 * Makes way for a Unix socket at `path`: a stale socket file left by a dead process is
 * removed; a live one (something accepts connections on it) or a non-socket file is an error.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return;
    throw error;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await isLive(path)) {
    throw new Error(`${path} is in use: another server is listening on this socket`);
  }
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
}

/** True when a connection to the socket succeeds; false when nobody listens (ECONNREFUSED). */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", (error: NodeJS.ErrnoException) => {
      probe.destroy();
      if (error.code === "ECONNREFUSED" || error.code === "ENOENT") resolve(false);
      else reject(new Error(`${path}: cannot tell whether the socket is in use: ${error.message}`));
    });
  });
}
