/**
 * `basicAuth(app, options)`: HTTP Basic authentication, RFC 7617. A request without valid
 * credentials gets `401 Unauthorized` with `WWW-Authenticate: Basic realm="...",
 * charset="UTF-8"`; a valid one reaches the app with REMOTE_USER (the user name as a byte
 * string, RFC 3875 §4.1.11) and AUTH_TYPE=Basic.
 *
 * Credentials come from exactly one of: `users` (name -> password), `verify` (a function, may
 * be async) or `htpasswd` (a file path: bcrypt, apr1, SHA-crypt, {SHA} and {SSHA} entries; see
 * htpasswd.ts). The user-id and password are base64-decoded to bytes, then read as UTF-8
 * (RFC 7617 §2.1). Passwords from `users` are compared as SHA-256 digests with
 * `crypto.timingSafeEqual`, so the time taken says nothing about how much of a password was
 * right; an unknown user costs the same as a known one.
 *
 * @example
 * import { basicAuth } from "tsgi";
 * const admin = basicAuth(app, { realm: "Admin", users: { alice: process.env.ADMIN_PASSWORD! } });
 * const viaFile = basicAuth(app, { htpasswd: "/etc/nginx/htpasswd" });
 * const custom = basicAuth(app, { verify: async (user, password) => checkLdap(user, password) });
 */

import type { Application, Environ } from "../core/types.js";
import { toByteString } from "../core/url.js";
import { nodeCrypto } from "./builtins.js";
import { htpasswdFile, verifyHash } from "./htpasswd.js";
import { plainResponse } from "./plain-response.js";

export interface BasicAuthOptions {
  /** Shown by the browser; default "Restricted". */
  realm?: string;
  /** User names and their passwords (text). */
  users?: Record<string, string> | Map<string, string>;
  /** Decides: true lets the request through. Receives the UTF-8 decoded user and password. */
  verify?: (user: string, password: string, environ: Environ) => boolean | Promise<boolean>;
  /** Path of an Apache/nginx htpasswd file, re-read when it changes. */
  htpasswd?: string;
}

/** The user and password of a request, as bytes and as text (null when not UTF-8). */
interface Credentials {
  user: Buffer;
  password: Buffer;
}

// RFC 9110 §11.6.2, §11.2: `Basic` (any case), one or more spaces, token68. Like nginx, the
// padding is optional, but a length that no base64 can have (4n+1) is malformed.
const HEADER = /^basic +([A-Za-z0-9+/]+)(={0,2}) *$/i;

/** The credentials of an Authorization header, or null when it has none or they are malformed. */
export function parseBasicAuthorization(header: string | undefined): Credentials | null {
  const match = HEADER.exec(header ?? "");
  if (!match || match[1].length % 4 === 1) return null;
  if (match[2] && (match[1].length + match[2].length) % 4 !== 0) return null;
  const decoded = Buffer.from(match[1], "base64");
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return null;
  return { user: decoded.subarray(0, colon), password: decoded.subarray(colon + 1) };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
function text(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

const sha256 = (data: Uint8Array | string) =>
  nodeCrypto().createHash("sha256").update(data).digest();

/** RFC 9110 §5.6.4 quoted-string: `\` and `"` escaped; the realm's UTF-8 bytes as a byte string. */
function challenge(realm: string): string {
  const quoted = toByteString(realm)
    .replace(/[\\"]/g, "\\$&")
    .replace(/[\x00-\x1f\x7f]/g, "");
  return `Basic realm="${quoted}", charset="UTF-8"`;
}

type Check = (credentials: Credentials, environ: Environ) => Promise<boolean>;

function usersCheck(users: Record<string, string> | Map<string, string>): Check {
  const digests = new Map<string, Buffer>();
  const entries = users instanceof Map ? users.entries() : Object.entries(users);
  for (const [name, password] of entries) digests.set(name, sha256(password));
  const nobody = sha256("\0no such user");
  return async ({ user, password }) => {
    const name = text(user);
    const stored = (name !== null && digests.get(name)) || nobody;
    const same = nodeCrypto().timingSafeEqual(sha256(password), stored);
    return same && stored !== nobody;
  };
}

function verifyCheck(verify: NonNullable<BasicAuthOptions["verify"]>): Check {
  return async ({ user, password }, environ) => {
    const name = text(user);
    const secret = text(password);
    if (name === null || secret === null) return false;
    return (await verify(name, secret, environ)) === true;
  };
}

function htpasswdCheck(path: string): Check {
  const load = htpasswdFile(path);
  return async ({ user, password }) => {
    const entries = await load();
    const hash = entries.get(user.toString("latin1"));
    // An unknown user is checked against a real entry too, so it takes as long (and fails).
    const compared = hash ?? entries.values().next().value;
    if (compared === undefined) return false;
    const ok = await verifyHash(password, compared);
    return ok && hash !== undefined;
  };
}

function checkOf(options: BasicAuthOptions): Check {
  const given = (["users", "verify", "htpasswd"] as const).filter((k) => options[k] !== undefined);
  if (given.length !== 1) {
    throw new TypeError(
      `basicAuth: give exactly one of users, verify or htpasswd (got ${given.length})`,
    );
  }
  if (options.users) return usersCheck(options.users);
  if (options.verify) return verifyCheck(options.verify);
  return htpasswdCheck(options.htpasswd as string);
}

/** Wraps an application so only requests with valid Basic credentials reach it. */
export function basicAuth(app: Application, options: BasicAuthOptions): Application {
  const check = checkOf(options);
  const header = challenge(options.realm ?? "Restricted");
  return async (environ, startResponse) => {
    const credentials = parseBasicAuthorization(environ.HTTP_AUTHORIZATION);
    if (credentials && (await check(credentials, environ))) {
      const user = credentials.user.toString("latin1");
      return app({ ...environ, REMOTE_USER: user, AUTH_TYPE: "Basic" }, startResponse);
    }
    return plainResponse(environ, startResponse, "401 Unauthorized", [
      ["WWW-Authenticate", header],
    ]);
  };
}
