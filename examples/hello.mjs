// The smallest tsgi app: no imports, so it costs nothing to load under CGI.
const BODY = new TextEncoder().encode("Hello, world!\n");

export default function hello(_environ, startResponse) {
  startResponse("200 OK", [
    ["Content-Type", "text/plain"],
    ["Content-Length", String(BODY.length)],
  ]);
  return [BODY];
}
