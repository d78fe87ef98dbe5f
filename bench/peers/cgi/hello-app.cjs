// examples/hello.mjs as a CommonJS module, for cgi-bin/app with TSGI_APP=.../hello-app.cjs.
const BODY = Buffer.from("Hello, world!\n");

module.exports = function hello(_environ, startResponse) {
  startResponse("200 OK", [
    ["Content-Type", "text/plain"],
    ["Content-Length", String(BODY.length)],
  ]);
  return [BODY];
};
