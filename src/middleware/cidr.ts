import { isIPv4, isIPv6 } from "node:net";

/**
 * IP addresses and CIDR ranges, IPv4 and IPv6, in one 128-bit space: an IPv4 address is its
 * IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2), so `10.0.0.0/8` also matches `::ffff:10.1.2.3`
 * and `::ffff:10.0.0.0/104` matches `10.1.2.3`.
 */

const V4_MAPPED = 0xffffn << 32n;

function parseV4(text: string): bigint {
  return text.split(".").reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(text: string): bigint {
  // An embedded IPv4 address (`::ffff:1.2.3.4`) is the last two groups, written in hex.
  const lastColon = text.lastIndexOf(":");
  let hex = text;
  if (text.includes(".", lastColon)) {
    const v4 = parseV4(text.slice(lastColon + 1));
    hex = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = hex.includes("::") ? hex.split("::") : [hex, undefined];
  const parse = (s: string) => (s ? s.split(":").map((g) => BigInt(Number.parseInt(g, 16))) : []);
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const zeros = new Array<bigint>(8 - left.length - right.length).fill(0n);
  return [...left, ...zeros, ...right].reduce((n, g) => (n << 16n) | g, 0n);
}

/**
 * An address as a 128-bit number, or null when `text` is not an IP address. Brackets
 * (`[::1]`) and an IPv6 zone (`fe80::1%eth0`) are removed first.
 */
export function parseIp(text: string): bigint | null {
  const bare = text.replace(/^\[(.*)\]$/, "$1").replace(/%[^%]*$/, "");
  if (isIPv4(bare)) return V4_MAPPED | parseV4(bare);
  if (isIPv6(bare)) return parseV6(bare);
  return null;
}

/** Whether a text is an IP address (IPv4 or IPv6, optionally bracketed). */
export const isIp = (text: string): boolean => parseIp(text) !== null;

/** A set of addresses and ranges that answers whether an address belongs to it. */
export type AddressMatcher = (address: string | undefined) => boolean;

/**
 * Compiles `"10.0.0.0/8"`, `"2001:db8::/32"`, `"127.0.0.1"`, `"::1"` into a matcher. A bad
 * entry (not an address, a prefix out of range) throws, naming it.
 */
export function addressMatcher(entries: readonly string[]): AddressMatcher {
  const ranges = entries.map((entry) => {
    const slash = entry.indexOf("/");
    const address = parseIp(slash < 0 ? entry : entry.slice(0, slash));
    if (address === null)
      throw new TypeError(`trusted proxy ${JSON.stringify(entry)}: not an IP address`);
    const v4 = isIPv4(slash < 0 ? entry : entry.slice(0, slash));
    const max = v4 ? 32 : 128;
    const bits = slash < 0 ? max : Number(entry.slice(slash + 1));
    if (!/^\d+$/.test(slash < 0 ? "0" : entry.slice(slash + 1)) || bits > max) {
      throw new TypeError(`trusted proxy ${JSON.stringify(entry)}: prefix length must be 0-${max}`);
    }
    const prefix = BigInt(v4 ? bits + 96 : bits);
    const mask = prefix === 0n ? 0n : ((1n << prefix) - 1n) << (128n - prefix);
    return { network: address & mask, mask };
  });
  return (text) => {
    if (text === undefined) return false;
    const address = parseIp(text);
    if (address === null) return false;
    return ranges.some((r) => (address & r.mask) === r.network);
  };
}
