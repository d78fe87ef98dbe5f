// A tsgi app for the streaming bench: ?size=N bytes (default 256 MiB) in 64 KiB chunks of one
// preallocated buffer, so the app itself allocates nothing per chunk and only the gateway's
// memory shows in RSS.
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);

function* chunks(size) {
  for (let left = size; left > 0; left -= CHUNK.length) {
    yield left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
  }
}

export default function stream(environ, startResponse) {
  const m = /(?:^|&)size=(\d+)/.exec(environ.QUERY_STRING ?? "");
  const size = m ? Number(m[1]) : 256 * 1024 * 1024;
  startResponse("200 OK", [
    ["Content-Type", "application/octet-stream"],
    ["Content-Length", String(size)],
  ]);
  return chunks(size);
}
