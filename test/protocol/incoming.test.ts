import { describe, expect, test } from "vitest";
import { type IncomingMessageLike, metaVariablesFromMessage } from "../../src/protocol/incoming.js";

const message = (over: Partial<IncomingMessageLike> = {}): IncomingMessageLike => ({
  method: "POST",
  url: "/a%20b?x=1",
  rawHeaders: [
    "Host",
    "example.org",
    "Content-Type",
    "text/plain",
    "Cookie",
    "a=1",
    "cookie",
    "b=2",
  ],
  httpVersion: "1.1",
  socket: {
    localAddress: "127.0.0.1",
    localPort: 8080,
    remoteAddress: "10.0.0.2",
    remotePort: 5123,
  },
  ...over,
});

describe("metaVariablesFromMessage", () => {
  test("maps the request line, the headers and the socket (RFC 3875 §4.1)", () => {
    expect(metaVariablesFromMessage(message())).toMatchObject({
      REQUEST_METHOD: "POST",
      SCRIPT_NAME: "",
      PATH_INFO: "/a b",
      QUERY_STRING: "x=1",
      REQUEST_URI: "/a%20b?x=1",
      SERVER_NAME: "127.0.0.1",
      SERVER_PORT: "8080",
      SERVER_PROTOCOL: "HTTP/1.1",
      REMOTE_ADDR: "10.0.0.2",
      REMOTE_PORT: "5123",
      HTTP_HOST: "example.org",
      CONTENT_TYPE: "text/plain",
      HTTP_COOKIE: "a=1; b=2",
    });
    expect(metaVariablesFromMessage(message()).HTTPS).toBeUndefined();
  });

  test.each([
    ["https socket", { socket: { encrypted: true } }, { HTTPS: "on", SERVER_PORT: "443" }],
    [
      "no socket, no method, no url",
      { socket: null, method: undefined, url: undefined },
      {
        REQUEST_METHOD: "GET",
        REQUEST_URI: "/",
        SERVER_NAME: "localhost",
        REMOTE_ADDR: "127.0.0.1",
      },
    ],
    ["HTTP/1.0", { httpVersion: "1.0" }, { SERVER_PROTOCOL: "HTTP/1.0" }],
  ] as const)("%s", (_name, over, expected) => {
    expect(metaVariablesFromMessage(message(over as Partial<IncomingMessageLike>))).toMatchObject(
      expected,
    );
  });

  test("a mount gives the whole target and SCRIPT_NAME", () => {
    const vars = metaVariablesFromMessage(message({ url: "/b?x=1" }), {
      target: "/app/b?x=1",
      scriptName: "/app",
    });
    expect(vars).toMatchObject({ SCRIPT_NAME: "/app", PATH_INFO: "/b", REQUEST_URI: "/app/b?x=1" });
  });
});
