import { connect } from "node:net";

/** What came back for a raw request: the status code (0 when none) and all the bytes. */
export interface RawReply {
  status: number;
  bytes: Buffer;
}

/**
 * Sends `request` byte for byte (a latin-1 string: one char per byte, so odd bytes in the
 * request line and headers reach the server as they are) and reads until the server closes.
 * Send `Connection: close` or HTTP/1.0.
 */
export function rawRequest(port: number, request: string, timeoutMs = 20_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${JSON.stringify(request.slice(0, 60))} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(Buffer.from(request, "latin1")));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const bytes = Buffer.concat(chunks);
      const match = /^HTTP\/\d\.\d (\d{3})/.exec(bytes.toString("latin1"));
      resolve({ status: match ? Number(match[1]) : 0, bytes });
    });
  });
}
