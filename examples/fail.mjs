// An app that throws before starting its response: the gateway answers 500 and logs the stack
// on tsgi.errors (stderr under CGI, the web server's error log), never to the client.
export default function fail() {
  throw new Error("fail.mjs: this app always throws");
}
