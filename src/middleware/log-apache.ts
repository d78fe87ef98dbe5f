/**
 * Apache `LogFormat` directives (mod_log_config) for access-log templates that use them:
 * `%h %l %u %t "%r" %>s %b` is Apache's `common`. Values are escaped as in the rest of the log
 * (nginx's `\xHH`), so a line is printable ASCII whatever the request held.
 */
import type { AccessLogFields } from "./log-format.js";

type Getter = (fields: AccessLogFields) => string;
type Escape = (value: string | undefined) => string;

/** Directives without an argument; `%>s` and `%<s` are the status as `%s`. */
function simple(letter: string, esc: Escape, time: (date: Date) => string): Getter | undefined {
  const path = (f: AccessLogFields) => f.uri.split("?")[0];
  const query = (f: AccessLogFields) =>
    f.uri.includes("?") ? f.uri.slice(f.uri.indexOf("?")) : "";
  const table: Record<string, Getter> = {
    h: (f) => esc(f.remoteAddr),
    a: (f) => esc(f.remoteAddr),
    l: () => "-",
    u: (f) => esc(f.remoteUser || undefined),
    t: (f) => `[${time(f.time)}]`,
    r: (f) => esc(`${f.method} ${f.uri} ${f.protocol}`),
    m: (f) => esc(f.method),
    U: (f) => esc(path(f)),
    q: (f) => esc(query(f)),
    H: (f) => esc(f.protocol),
    s: (f) => (f.status > 0 ? String(f.status) : "-"),
    // CLF: "-" for no body bytes; %B writes 0.
    b: (f) => (f.bytesSent > 0 ? String(f.bytesSent) : "-"),
    B: (f) => String(f.bytesSent),
    D: (f) => String(Math.max(0, Math.round(f.durationMs * 1000))),
    T: (f) => String(Math.max(0, Math.floor(f.durationMs / 1000))),
  };
  return table[letter];
}

const DIRECTIVE = /%(?:[<>])?(?:\{([^}]*)\})?([A-Za-z%])/g;

/** Whether a template uses Apache directives (and so is read as one). */
export const isApacheFormat = (format: string): boolean =>
  /%(?:[<>])?(?:\{[^}]*\})?[A-Za-z%]/.test(format);

/** Compiles an Apache `LogFormat` string; an unknown directive throws, naming it. */
export function compileApacheFormat(
  format: string,
  esc: Escape,
  time: (date: Date) => string,
): Getter {
  const parts: Array<string | Getter> = [];
  let last = 0;
  for (const match of format.matchAll(DIRECTIVE)) {
    parts.push(format.slice(last, match.index));
    last = (match.index as number) + match[0].length;
    const [whole, argument, letter] = match;
    if (letter === "%") {
      parts.push("%");
    } else if (letter === "i" && argument) {
      const header = argument.toLowerCase();
      parts.push((f) => esc(f.headers[header]));
    } else if (letter === "T" && argument === "ms") {
      parts.push((f) => String(Math.max(0, Math.round(f.durationMs))));
    } else {
      const getter = argument === undefined ? simple(letter, esc, time) : undefined;
      if (!getter) {
        throw new TypeError(
          `access log format ${JSON.stringify(format)}: unsupported directive ${whole}`,
        );
      }
      parts.push(getter);
    }
  }
  parts.push(format.slice(last));
  return (f) => parts.map((p) => (typeof p === "string" ? p : p(f))).join("");
}
