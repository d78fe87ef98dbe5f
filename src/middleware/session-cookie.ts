/**
 * The signed session cookie: `base64url(JSON payload) "." base64url(HMAC-SHA256)`.
 *
 * - One key per secret, derived with HKDF-SHA256 (RFC 5869) whose `info` is the cookie name:
 *   a cookie signed for another name (another app on the same secret) does not verify.
 * - The first secret signs, every secret verifies; a cookie verified by an older secret is
 *   reported `rotated` so the session re-signs it with the first (keygrip's rotation).
 * - The issue time and the last-seen time are inside the signed payload, so expiry cannot be
 *   moved by the client. Digests are compared with `crypto.timingSafeEqual` on 32 bytes each.
 */

import { ContractError } from "../core/errors.js";
import { nodeCrypto } from "./builtins.js";

/** What the cookie carries. Times are milliseconds since the epoch. */
export interface SessionPayload {
  /** Issued at: when the session (or its last `regenerate()`) began. */
  i: number;
  /** Touched at: when the cookie was last written, for the idle timeout. */
  t: number;
  /** The session data, for cookie sessions. */
  d?: Record<string, unknown>;
  /** The session id, for store sessions. */
  s?: string;
}

const DIGEST_BYTES = 32;
const SALT = "tsgi.session.v1";

export class SessionCodec {
  private readonly keys: Buffer[];

  constructor(name: string, secrets: string | readonly string[]) {
    const list = typeof secrets === "string" ? [secrets] : [...(secrets ?? [])];
    if (list.length === 0 || list.some((s) => typeof s !== "string" || s.length === 0)) {
      throw new ContractError(
        "session: `secrets` must be a non-empty string or a list of them (the first signs, all verify)",
      );
    }
    this.keys = list.map((secret) =>
      Buffer.from(nodeCrypto().hkdfSync("sha256", secret, SALT, name, 32)),
    );
  }

  encode(payload: SessionPayload): string {
    const body = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
    return `${body}.${this.sign(this.keys[0], body).toString("base64url")}`;
  }

  /** The payload when some key verifies the cookie, else null. Never throws on bad input. */
  decode(value: string): { payload: SessionPayload; rotated: boolean } | null {
    const dot = value.lastIndexOf(".");
    if (dot <= 0) return null;
    const body = value.slice(0, dot);
    const signature = Buffer.from(value.slice(dot + 1), "base64url");
    // Re-encoding catches signatures that decode loosely (padding, stray characters).
    if (signature.length !== DIGEST_BYTES) return null;
    if (signature.toString("base64url") !== value.slice(dot + 1)) return null;
    const index = this.keys.findIndex((key) =>
      nodeCrypto().timingSafeEqual(this.sign(key, body), signature),
    );
    if (index < 0) return null;
    const payload = parsePayload(body);
    return payload ? { payload, rotated: index > 0 } : null;
  }

  private sign(key: Buffer, body: string): Buffer {
    return nodeCrypto().createHmac("sha256", key).update(body).digest();
  }
}

function parsePayload(body: string): SessionPayload | null {
  try {
    const value = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null) return null;
    if (!Number.isFinite(value.i) || !Number.isFinite(value.t)) return null;
    if (value.d !== undefined && (typeof value.d !== "object" || value.d === null)) return null;
    if (value.s !== undefined && typeof value.s !== "string") return null;
    return value;
  } catch {
    return null;
  }
}
