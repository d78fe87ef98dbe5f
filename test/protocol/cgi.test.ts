import { describe, expect, test } from "vitest";
import { ProtocolError } from "../../src/core/errors.js";
import {
  formatResponseHead,
  type HttpRequestInfo,
  metaVariablesFromRequest,
  parseResponseHead,
} from "../../src/protocol/cgi.js";

function vars(request: Partial<HttpRequestInfo>): Record<string, string> {
  return metaVariablesFromRequest({ method: "GET", target: "/", headers: [], ...request });
}

describe("metaVariablesFromRequest", () => {
  test("a header name with an underscore is dropped, as nginx and Apache drop it", () => {
    const result = vars({
      headers: [
        ["X-Forwarded-For", "10.0.0.1"],
        ["X_Forwarded_For", "6.6.6.6"],
      ],
    });
    expect(result.HTTP_X_FORWARDED_FOR).toBe("10.0.0.1");
  });

  test("sets the RFC 3875 §4.1 variables", () => {
    expect(
      vars({
        method: "POST",
        target: "/app/x?y=1",
        scriptName: "/app",
        serverName: "example.org",
        serverPort: 8080,
        serverProtocol: "HTTP/1.0",
        remoteAddr: "10.0.0.1",
        remotePort: 5555,
      }),
    ).toEqual({
      GATEWAY_INTERFACE: "CGI/1.1",
      REQUEST_METHOD: "POST",
      SCRIPT_NAME: "/app",
      PATH_INFO: "/x",
      QUERY_STRING: "y=1",
      REQUEST_URI: "/app/x?y=1",
      SERVER_NAME: "example.org",
      SERVER_PORT: "8080",
      SERVER_PROTOCOL: "HTTP/1.0",
      SERVER_SOFTWARE: "tsgi",
      REMOTE_ADDR: "10.0.0.1",
      REMOTE_PORT: "5555",
    });
  });

  test("https sets HTTPS=on and port 443", () => {
    const v = vars({ scheme: "https" });
    expect(v.HTTPS).toBe("on");
    expect(v.SERVER_PORT).toBe("443");
    expect(vars({}).HTTPS).toBeUndefined();
    expect(vars({}).SERVER_PORT).toBe("80");
  });

  test.each([
    // [target, PATH_INFO, QUERY_STRING, REQUEST_URI]
    ["/a%20b/%FF?q=%20x&y", "/a b/\u00ff", "q=%20x&y", "/a%20b/%FF?q=%20x&y"],
    ["/a%2Fb", "/a/b", "", "/a%2Fb"],
    ["/?", "/", "", "/?"],
    ["/p?a?b", "/p", "a?b", "/p?a?b"],
    ["http://example.org:81/x/y?z=1", "/x/y", "z=1", "/x/y?z=1"],
    ["https://example.org", "/", "", "/"],
    ["http://example.org?q", "/", "q", "/?q"],
    ["", "/", "", "/"],
    ["*", "*", "", "*"],
  ])("target %j -> PATH_INFO %j, QUERY_STRING %j", (target, path, query, uri) => {
    const v = vars({ target });
    expect(v.PATH_INFO).toBe(path);
    expect(v.QUERY_STRING).toBe(query);
    expect(v.REQUEST_URI).toBe(uri);
  });

  test.each([
    // [headers, expected variables]
    [[["Host", "example.org"]], { HTTP_HOST: "example.org" }],
    [[["X-Forwarded-For", "1.2.3.4"]], { HTTP_X_FORWARDED_FOR: "1.2.3.4" }],
    [[["content-type", "text/plain"]], { CONTENT_TYPE: "text/plain" }],
    [[["Content-Length", "12"]], { CONTENT_LENGTH: "12" }],
    [
      [
        ["X-A", "1"],
        ["x-a", "2"],
      ],
      { HTTP_X_A: "1, 2" },
    ],
    [
      [
        ["Cookie", "a=1"],
        ["cookie", "b=2"],
      ],
      { HTTP_COOKIE: "a=1; b=2" },
    ],
    [
      [
        ["Accept", "text/html"],
        ["Accept", "*/*"],
      ],
      { HTTP_ACCEPT: "text/html, */*" },
    ],
    [[["X-Raw", "\u00ff\u00fe"]], { HTTP_X_RAW: "\u00ff\u00fe" }],
  ] as Array<[Array<[string, string]>, Record<string, string>]>)(
    "headers %j -> %j",
    (headers, expected) => {
      const v = vars({ headers });
      expect(v).toMatchObject(expected);
      expect(v.HTTP_CONTENT_TYPE).toBeUndefined();
      expect(v.HTTP_CONTENT_LENGTH).toBeUndefined();
    },
  );

  test("a header cannot overwrite a server variable", () => {
    const v = vars({ headers: [["Request-Method", "DELETE"]] });
    expect(v.REQUEST_METHOD).toBe("GET");
    expect(v.HTTP_REQUEST_METHOD).toBe("DELETE");
  });

  test("PATH_INFO is the path after SCRIPT_NAME", () => {
    expect(vars({ target: "/cgi-bin/app.cgi/x/y", scriptName: "/cgi-bin/app.cgi" }).PATH_INFO).toBe(
      "/x/y",
    );
    expect(vars({ target: "/cgi-bin/app.cgi", scriptName: "/cgi-bin/app.cgi" }).PATH_INFO).toBe("");
    // Whole segments only: "/app" is not the script of "/application".
    expect(vars({ target: "/application/x", scriptName: "/app" }).PATH_INFO).toBe("/application/x");
  });
});

describe("formatResponseHead", () => {
  test.each([
    [
      "200 OK",
      [["Content-Type", "text/plain"]],
      "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n",
    ],
    ["204 No Content", [], "Status: 204 No Content\r\n\r\n"],
    [
      "302 Found",
      [
        ["Location", "/x"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
      ],
      "Status: 302 Found\r\nLocation: /x\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
    ],
  ] as Array<[string, Array<[string, string]>, string]>)("%j %j", (status, headers, head) => {
    expect(formatResponseHead(status, headers)).toEqual(Buffer.from(head, "latin1"));
  });

  test("byte strings are written as bytes (latin-1)", () => {
    const head = formatResponseHead("200 OK", [["X-Name", "caf\u00c3\u00a9"]]);
    expect([...head.subarray(24, 29)]).toEqual([0x63, 0x61, 0x66, 0xc3, 0xa9]);
  });
});

describe("parseResponseHead", () => {
  const parse = (text: string) => parseResponseHead(Buffer.from(text, "latin1"));

  test.each([
    // [output, status, headers, body]
    ["Status: 404 Not Found\r\nX-A: 1\r\n\r\nbody", "404 Not Found", [["X-A", "1"]], "body"],
    ["Content-Type: text/html\n\n<p>", "200 OK", [["Content-Type", "text/html"]], "<p>"],
    ["Location: /elsewhere\r\n\r\n", "302 Found", [["Location", "/elsewhere"]], ""],
    ["Location: /x\r\nStatus: 301 Moved\r\n\r\n", "301 Moved", [["Location", "/x"]], ""],
    ["status:  201 Created \r\nX-B:two words\r\n\r\n", "201 Created", [["X-B", "two words"]], ""],
  ] as Array<[string, string, Array<[string, string]>, string]>)(
    "%j",
    (output, status, headers, body) => {
      const parsed = parse(output);
      expect(parsed).not.toBeNull();
      expect(parsed?.status).toBe(status);
      expect(parsed?.headers).toEqual(headers);
      expect(output.slice(parsed?.bodyOffset)).toBe(body);
    },
  );

  test.each(["", "Status: 200 OK", "Status: 200 OK\r\nX-A: 1\r\n", "X-A: 1\r\n\r"])(
    "an incomplete head %j is null",
    (output) => {
      expect(parse(output)).toBeNull();
    },
  );

  test.each(["no colon here\r\n\r\n", ": empty name\r\n\r\n", "X-A: 1\r\nbroken\r\n\r\n"])(
    "a malformed line in %j is a ProtocolError naming it",
    (output) => {
      expect(() => parse(output)).toThrow(ProtocolError);
      const line = output.split(/\r?\n/).find((l) => l.indexOf(":") <= 0) ?? "";
      expect(() => parse(output)).toThrow(JSON.stringify(line));
    },
  );

  test("round trip with formatResponseHead", () => {
    const headers: Array<[string, string]> = [
      ["Content-Type", "text/plain"],
      ["X-Byte", "\u00ff"],
    ];
    const bytes = Buffer.concat([formatResponseHead("418 Teapot", headers), Buffer.from("tea")]);
    const parsed = parseResponseHead(bytes);
    expect(parsed?.status).toBe("418 Teapot");
    expect(parsed?.headers).toEqual(headers);
    expect(bytes.subarray(parsed?.bodyOffset).toString()).toBe("tea");
  });

  test("a subarray view is parsed from its own offset", () => {
    const whole = Buffer.from("junkStatus: 500 X\r\n\r\n", "latin1");
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 4, whole.length - 4);
    expect(parseResponseHead(view)?.status).toBe("500 X");
  });
});
