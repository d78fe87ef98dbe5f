/**
 * FastCGI bytes built by hand (FastCGI 1.0 §3.3, §3.4), independent of the codec under
 * test, for golden-byte tables; plus small helpers to drive a RecordDecoder.
 */
import { type FcgiRecord, RecordDecoder } from "../../src/protocol/fastcgi.js";

export type Bytes = Uint8Array | readonly number[] | string;

/** Bytes from numbers, or from a latin-1 string (char code == byte). */
export function bytes(input: Bytes): Uint8Array {
  if (typeof input !== "string") return Uint8Array.from(input);
  const out = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = input.charCodeAt(i);
  return out;
}

export function concat(...parts: Bytes[]): Uint8Array {
  const arrays = parts.map(bytes);
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/**
 * A record: header (version 1, type, id B1 B0, length B1 B0, padding, reserved), content,
 * then `padding` zero bytes (default: up to a multiple of 8, as the encoders pad).
 */
export function record(
  type: number,
  id: number,
  content: Bytes = [],
  padding?: number,
  version = 1,
): Uint8Array {
  const body = bytes(content);
  const pad = padding ?? (8 - (body.length % 8)) % 8;
  const header = [version, type, id >> 8, id & 255, body.length >> 8, body.length & 255, pad, 0];
  return concat(header, body, new Uint8Array(pad));
}

/** A length: 1 byte below 128, else 4 bytes big-endian with the high bit set. */
export function length(n: number): number[] {
  if (n < 128) return [n];
  return [((n >>> 24) & 0x7f) | 0x80, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** One name-value pair of latin-1 strings. */
export function pair(name: string, value: string): Uint8Array {
  return concat(length(name.length), length(value.length), name, value);
}

/** Feeds `chunks` to `decoder` and returns copies of the records it yields. */
export function collect(chunks: Uint8Array[], decoder = new RecordDecoder()): FcgiRecord[] {
  const records: FcgiRecord[] = [];
  for (const chunk of chunks) {
    decoder.feed(chunk, (type, requestId, content) => {
      records.push({ type, requestId, content: Uint8Array.from(content) });
    });
  }
  return records;
}

/** `data` cut at the given offsets (any order, duplicates and out-of-range values allowed). */
export function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(data.subarray(from, p));
    from = p;
  }
  pieces.push(data.subarray(from));
  return pieces;
}
