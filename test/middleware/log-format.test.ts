import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  type AccessLogFields,
  compileAccessLogFormat,
  escapeLogValue,
  formatAccessLog,
  timeLocal,
} from "../../src/middleware/log-format.js";

const fields = (over: Partial<AccessLogFields> = {}): AccessLogFields => ({
  remoteAddr: "192.0.2.7",
  remoteUser: "",
  time: new Date(2026, 11, 5, 4, 36, 18, 250),
  method: "GET",
  uri: "/a?b=1",
  protocol: "HTTP/1.1",
  status: 200,
  bytesSent: 5,
  durationMs: 12.5,
  headers: { referer: "http://x/", "user-agent": "curl/8.5.0" },
  ...over,
});

describe("escapeLogValue (nginx ngx_http_log_escape)", () => {
  test.each<[string | undefined, string]>([
    [undefined, "-"],
    ["", ""],
    ["plain text ok", "plain text ok"],
    ['say "hi"', "say \\x22hi\\x22"],
    ["back\\slash", "back\\x5Cslash"],
    ["line\nbreak\r", "line\\x0Abreak\\x0D"],
    ["\x1b[31mred", "\\x1B[31mred"],
    ["\x00nul\x7f", "\\x00nul\\x7F"],
    ["caf\u00c3\u00a9", "caf\\xC3\\xA9"], // UTF-8 bytes as a byte string
    ["\u00ff", "\\xFF"],
    ["\u00e9€", "\\xE9\\xE2\\x82\\xAC"], // a char above 0xFF (not a byte) per UTF-8 byte
    ["~'{}|", "~'{}|"],
  ])("%j -> %s", (value, expected) => {
    expect(escapeLogValue(value)).toBe(expected);
  });
});

describe("escapeLogValue properties", () => {
  // Any byte string (and any text): printable ASCII only, no bare quote or backslash, and
  // reversible, so a log line can be neither forged nor turned into terminal escapes.
  const unescapeLog = (text: string) =>
    text.replace(/\\x([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16)));

  test("byte strings: printable, no quote, reversible", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const value = Buffer.from(bytes).toString("latin1");
        const escaped = escapeLogValue(value);
        expect(escaped).toMatch(/^[\x20-\x7e]*$/);
        expect(escaped.replace(/\\x[0-9A-F]{2}/g, "")).not.toMatch(/["\\]/);
        expect(unescapeLog(escaped)).toBe(value);
      }),
    );
  });

  test("text: printable, chars above 0xFF as their UTF-8 bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (text) => {
        const escaped = escapeLogValue(text);
        expect(escaped).toMatch(/^[\x20-\x7e]*$/);
        // A char up to 0xFF stands for its byte (a byte string); one above, for its UTF-8 bytes.
        const bytes = [...text]
          .map((c) =>
            (c.codePointAt(0) as number) <= 0xff ? c : Buffer.from(c).toString("latin1"),
          )
          .join("");
        expect(unescapeLog(escaped)).toBe(bytes);
      }),
    );
  });
});

describe("formatAccessLog", () => {
  const time = timeLocal(fields().time);

  test("timeLocal is dd/Mon/yyyy:hh:mm:ss +hhmm in local time", () => {
    expect(time).toMatch(/^05\/Dec\/2026:04:36:18 [+-]\d{4}$/);
  });

  test.each([
    ["common", fields(), `192.0.2.7 - - [${time}] "GET /a?b=1 HTTP/1.1" 200 5`],
    // Apache's %b: "-" for no body bytes; nginx's combined writes 0.
    [
      "common",
      fields({ bytesSent: 0, remoteUser: "bob" }),
      `192.0.2.7 - bob [${time}] "GET /a?b=1 HTTP/1.1" 200 -`,
    ],
    [
      "combined",
      fields(),
      `192.0.2.7 - - [${time}] "GET /a?b=1 HTTP/1.1" 200 5 "http://x/" "curl/8.5.0"`,
    ],
    [
      "combined",
      fields({ headers: {}, remoteUser: "bob", bytesSent: 0, status: 404 }),
      `192.0.2.7 - bob [${time}] "GET /a?b=1 HTTP/1.1" 404 0 "-" "-"`,
    ],
    [
      "combined",
      fields({
        uri: '/x"y\n\u00ff',
        headers: { referer: '"\\', "user-agent": "a\x1b]0;pwn\x07" },
        remoteUser: 'ev"il',
      }),
      `192.0.2.7 - ev\\x22il [${time}] "GET /x\\x22y\\x0A\\xFF HTTP/1.1" 200 5 "\\x22\\x5C" "a\\x1B]0;pwn\\x07"`,
    ],
    ["$status $request_time $response_time_ms", fields(), "200 0.013 13"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${name} syntax
    ["${request_method}:${request_uri} $server_protocol", fields(), "GET:/a?b=1 HTTP/1.1"],
    ["$http_x_request_id|$http_user_agent", fields(), "-|curl/8.5.0"],
    // A header sent empty is logged empty, a missing one as "-" (nginx's "not found").
    ["$http_referer|$http_user_agent", fields({ headers: { referer: "" } }), "|-"],
    ["$status", fields({ status: 0 }), "000"],
    ["$msec", fields(), (fields().time.getTime() / 1000).toFixed(3)],
  ])("%s", (format, f, expected) => {
    expect(formatAccessLog(format, f)).toBe(expected);
  });

  test("json: one ASCII line, UTF-8 decoded when valid, bytes kept when not", () => {
    const line = formatAccessLog(
      "json",
      fields({ uri: "/caf\u00c3\u00a9\n", headers: { "user-agent": "\u00ff\u0000" } }),
    );
    expect(line).toMatch(/^[\x20-\x7e]+$/);
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({
      remote_addr: "192.0.2.7",
      remote_user: "",
      method: "GET",
      uri: "/café\n",
      protocol: "HTTP/1.1",
      status: 200,
      bytes_sent: 5,
      duration_ms: 12.5,
      referer: "",
      user_agent: "\u00ff\u0000",
    });
    expect(parsed.time).toBe(fields().time.toISOString());
  });

  test.each([
    [
      '%h %l %u %t "%r" %>s %b',
      fields({ remoteUser: "bob" }),
      `192.0.2.7 - bob [${time}] "GET /a?b=1 HTTP/1.1" 200 5`,
    ],
    ["%b|%B", fields({ bytesSent: 0 }), "-|0"],
    ['"%{Referer}i" "%{User-agent}i" %{X-None}i', fields(), '"http://x/" "curl/8.5.0" -'],
    ["%m %U%q %H %s", fields(), "GET /a?b=1 HTTP/1.1 200"],
    ["%D us, %{ms}T ms, %T s, 100%%", fields(), "12500 us, 13 ms, 0 s, 100%"],
    [
      "%r|%{User-Agent}i",
      fields({ uri: '/"\n', headers: { "user-agent": "\x1b" } }),
      "GET /\\x22\\x0A HTTP/1.1|\\x1B",
    ],
  ])("Apache directives: %s", (format, f, expected) => {
    expect(formatAccessLog(format, f)).toBe(expected);
  });

  test.each(["%Z", "%{x}Q"])("unsupported Apache directive %s throws", (format) => {
    expect(() => compileAccessLogFormat(format)).toThrow(/unsupported directive/);
  });

  test("a function format is used as it is", () => {
    expect(formatAccessLog((f) => `${f.method}!`, fields())).toBe("GET!");
  });

  test.each(["$nope", "x $status $bogus_var"])("unknown variable in %j throws once", (format) => {
    expect(() => compileAccessLogFormat(format)).toThrow(/unknown variable \$/);
  });
});
