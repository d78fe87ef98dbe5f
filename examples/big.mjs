// Streams N MiB of deterministic bytes (the query string, e.g. "?16"; default 1): byte i of
// the body is (i * 31 + 7) & 0xff, so a client can check it by hash without a copy.
const MIB = 1024 * 1024;

function mebibyte() {
  const chunk = new Uint8Array(MIB);
  for (let i = 0; i < MIB; i++) chunk[i] = (i * 31 + 7) & 0xff;
  return chunk;
}

export default function big(environ, startResponse) {
  const count = Number.parseInt(environ.QUERY_STRING, 10);
  const mebibytes = Number.isSafeInteger(count) && count >= 0 ? count : 1;
  startResponse("200 OK", [
    ["Content-Type", "application/octet-stream"],
    ["Content-Length", String(mebibytes * MIB)],
  ]);
  const chunk = mebibyte(); // MIB is a multiple of 256, so every MiB is the same bytes
  return (function* body() {
    for (let i = 0; i < mebibytes; i++) yield chunk;
  })();
}
