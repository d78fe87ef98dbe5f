import { describe, expect, it } from "vitest";
import { parseHead, parseHeadMemo } from "../../src/adapters/node-head.js";

const HEAD = [
  "HTTP/1.1 200 OK",
  "Content-Type: text/plain",
  "Set-Cookie: a=1",
  "Set-Cookie: b=2",
  "Connection: close",
  "Content-Length: 5",
].join("\r\n");

describe("parseHeadMemo", () => {
  it("gives what parseHead gives, the first time and the next", () => {
    const expected = parseHead(HEAD);
    expect(expected.headers).toEqual([
      ["Content-Type", "text/plain"],
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
      ["Content-Length", "5"],
    ]);
    expect(parseHeadMemo(HEAD, true)).toEqual(expected);
    expect(parseHeadMemo(HEAD, true)).toEqual(expected);
  });

  it("hands out fresh pairs: a change made downstream never reaches the next response", () => {
    const first = parseHeadMemo(HEAD, true);
    // What a middleware wrapping startResponse may do to the list it is given.
    first.headers.push(["X-Added", "1"]);
    first.headers[0][1] = "text/html";
    const second = parseHeadMemo(HEAD, true);
    expect(second.headers).toHaveLength(4);
    expect(second.headers[0]).toEqual(["Content-Type", "text/plain"]);
    expect(second.headers).not.toBe(first.headers);
  });

  it("stays right past its bound, with heads that never repeat", () => {
    for (let i = 0; i < 600; i++) {
      const head = `HTTP/1.1 200 OK\r\nSet-Cookie: id=${i}`;
      expect(parseHeadMemo(head, false).headers).toEqual([["Set-Cookie", `id=${i}`]]);
    }
    expect(parseHeadMemo(HEAD, true)).toEqual(parseHead(HEAD));
  });

  it("reads a head that went out in a UTF-8 write as its bytes on the wire, every time", () => {
    const head = "HTTP/1.1 200 OK\r\nX-Name: caf\u00e9";
    for (let i = 0; i < 2; i++) {
      expect(parseHeadMemo(head, true).headers).toEqual([["X-Name", "caf\u00c3\u00a9"]]);
      expect(parseHeadMemo(head, false).headers).toEqual([["X-Name", "caf\u00e9"]]);
    }
  });
});
