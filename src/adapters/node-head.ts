import { HOP_BY_HOP } from "../core/headers.js";
import type { Headers } from "../core/types.js";

/** A response head that Node serialised, as the core's startResponse takes it. */
export interface ParsedHead {
  /** "200 OK": the code and Node's reason phrase (possibly empty, "200 "). */
  status: string;
  code: number;
  /** The end-to-end headers in the order Node wrote them, one entry per line (Set-Cookie too). */
  headers: Headers;
  /** The app set `Transfer-Encoding: chunked` itself, so Node chunk-framed the body. */
  chunked: boolean;
}

// RFC 9110 §7.6.1 and PEP 3333: hop-by-hop fields belong to the connection, which here is the
// web server's; the core refuses them. Date is dropped too: the web server adds its own, as
// nginx's proxy_pass hides the upstream's by default (proxy_hide_header).
const DROPPED = new Set([...HOP_BY_HOP, "proxy-connection", "date"]);

const CRLF = "\r\n";

// Most responses of an app repeat a few heads (a route's Content-Type, Content-Length and ETag
// are the same every time): parsing one costs ~1 µs a request, a lookup a hash of the string.
// Bounded, so heads that vary (Set-Cookie, Location) cannot grow it: it starts over when full.
const MEMO_MAX = 256;
const MEMO_MAX_HEAD = 1024;
const memo = new Map<string, ParsedHead>();

/**
 * {@link parseHead}, remembered for heads seen before. The headers are fresh pairs every time:
 * middleware between the adapter and the core may change the list it is given.
 *
 * `utf8` says the head went out in a UTF-8 string write: Node prepends its latin-1 head to a
 * UTF-8 string chunk and writes both as UTF-8, so on the wire a header char above 0x7F is its
 * UTF-8 bytes. Such a head is parsed from those bytes, and not remembered (it is rare).
 */
export function parseHeadMemo(head: string, utf8: boolean): ParsedHead {
  const known = memo.get(head);
  if (known !== undefined) {
    const headers: Headers = new Array(known.headers.length);
    for (let i = 0; i < headers.length; i++) {
      const pair = known.headers[i];
      headers[i] = [pair[0], pair[1]];
    }
    return { status: known.status, code: known.code, headers, chunked: known.chunked };
  }
  if (/[^\x00-\x7f]/.test(head)) {
    return parseHead(utf8 ? Buffer.from(head, "utf8").toString("latin1") : head);
  }
  const parsed = parseHead(head);
  if (head.length <= MEMO_MAX_HEAD) {
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(head, { ...parsed, headers: parsed.headers.map(([name, value]) => [name, value]) });
  }
  return parsed;
}

/**
 * Parses the head `ServerResponse` wrote to its socket ("HTTP/1.1 200 OK\r\nName: value\r\n...",
 * without the blank line). Node validated every name and value already (no CR, LF or chars above
 * 0xFF), so a line splits at its first ": ". Names listed in a Connection header are hop-by-hop
 * too (RFC 9110 §7.6.1).
 */
export function parseHead(head: string): ParsedHead {
  let end = head.indexOf(CRLF);
  if (end < 0) end = head.length;
  // "HTTP/1.1 200 OK": the code sits at 9..12 whatever the reason phrase.
  const code = Number(head.slice(9, 12));
  const status = head.slice(9, end);
  const headers: Headers = [];
  let chunked = false;
  let connection: string | undefined;
  let start = end + 2;
  while (start < head.length) {
    let stop = head.indexOf(CRLF, start);
    if (stop < 0) stop = head.length;
    const colon = head.indexOf(":", start);
    if (colon > start && colon < stop) {
      const name = head.slice(start, colon);
      // Node writes "Name: value": skip its one space before looking for more to trim.
      const from = head.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1;
      const value = trimOws(head.slice(from, stop));
      const lower = name.toLowerCase();
      if (!DROPPED.has(lower)) headers.push([name, value]);
      else if (lower === "transfer-encoding") chunked ||= /(^|,)\s*chunked\s*$/i.test(value);
      else if (lower === "connection") connection = connection ? `${connection},${value}` : value;
    }
    start = stop + 2;
  }
  return {
    status,
    code,
    // Node's own "Connection: close" (shouldKeepAlive is off) lists nothing to drop.
    headers: connection && connection !== "close" ? withoutListed(headers, connection) : headers,
    chunked,
  };
}

function trimOws(value: string): string {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09
    ? value.replace(/^[ \t]+|[ \t]+$/g, "")
    : value;
}

function withoutListed(headers: Headers, connection: string): Headers {
  const listed = new Set(
    connection
      .split(",")
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== "close" && token !== "keep-alive" && token !== ""),
  );
  if (listed.size === 0) return headers;
  return headers.filter(([name]) => !listed.has(name.toLowerCase()));
}

/**
 * Removes the chunked framing Node puts on a body when the app set `Transfer-Encoding:
 * chunked` itself (RFC 9112 §7.1): CGI and FastCGI bodies are unframed, the web server frames.
 * Fed the bytes as Node writes them (size line, data, CRLF, in any split), it hands back the
 * data; the last chunk and any trailer section are dropped.
 */
export class Dechunker {
  #state: "size" | "data" | "crlf" | "trailer" = "size";
  #line = "";
  #left = 0;

  push(bytes: Buffer, out: Buffer[]): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.#state === "data") {
        const take = Math.min(this.#left, bytes.length - at);
        out.push(bytes.subarray(at, at + take));
        at += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = "crlf";
        continue;
      }
      const newline = bytes.indexOf(0x0a, at);
      const end = newline < 0 ? bytes.length : newline + 1;
      this.#line += bytes.toString("latin1", at, end);
      at = end;
      if (newline >= 0) this.#endLine();
    }
  }

  #endLine(): void {
    const line = this.#line.trim();
    this.#line = "";
    if (this.#state === "crlf") this.#state = "size";
    else if (this.#state === "size") {
      // A chunk extension (";name=value") follows the size: ignored.
      this.#left = Number.parseInt(line, 16) || 0;
      this.#state = this.#left > 0 ? "data" : "trailer";
    }
    // "trailer": the lines after the last chunk belong to nobody downstream.
  }
}
