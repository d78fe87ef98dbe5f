/**
 * FastCGI 1.0 wire codec: constants, record framing, name-value pairs and an incremental
 * record decoder. Pure: no I/O, no timers, no sockets. The responder in
 * `frontends/fastcgi/` feeds socket chunks to a {@link RecordDecoder} and writes the
 * buffers the `encode*` functions return.
 *
 * Strings are latin-1 byte strings (char code == byte), as everywhere in tsgi.
 *
 * Errors: malformed bytes from the web server raise {@link ProtocolError}, exceeded limits
 * {@link LimitError}; both name what was wrong and where. Encoder misuse (an out-of-range
 * id, oversized content, a char above U+00FF) is a caller bug and raises `RangeError`.
 */
import { MetaVariableList, setVariable } from "../core/environ.js";
import { LimitError, ProtocolError } from "../core/errors.js";

// FastCGI 1.0 §8: types and constants
export const FCGI_VERSION_1 = 1;
export const FCGI_HEADER_LEN = 8;
/** The largest content one record carries (contentLength is 16 bits, §3.3). */
export const FCGI_MAX_CONTENT = 65535;
export const FCGI_NULL_REQUEST_ID = 0;
/** BEGIN_REQUEST flags bit: keep the connection open after the request (§5.1). */
export const FCGI_KEEP_CONN = 1;

export const RecordType = {
  BEGIN_REQUEST: 1,
  ABORT_REQUEST: 2,
  END_REQUEST: 3,
  PARAMS: 4,
  STDIN: 5,
  STDOUT: 6,
  STDERR: 7,
  DATA: 8,
  GET_VALUES: 9,
  GET_VALUES_RESULT: 10,
  UNKNOWN_TYPE: 11,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export const Role = { RESPONDER: 1, AUTHORIZER: 2, FILTER: 3 } as const;
export type Role = (typeof Role)[keyof typeof Role];

export const ProtocolStatus = {
  REQUEST_COMPLETE: 0,
  CANT_MPX_CONN: 1,
  OVERLOADED: 2,
  UNKNOWN_ROLE: 3,
} as const;
export type ProtocolStatus = (typeof ProtocolStatus)[keyof typeof ProtocolStatus];

// FastCGI 1.0 §4.1: the variables GET_VALUES may ask for
export const FCGI_MAX_CONNS = "FCGI_MAX_CONNS";
export const FCGI_MAX_REQS = "FCGI_MAX_REQS";
export const FCGI_MPXS_CONNS = "FCGI_MPXS_CONNS";

const TYPE_NAMES: string[] = [];
for (const [name, value] of Object.entries(RecordType)) TYPE_NAMES[value] = name;

/** `"BEGIN_REQUEST"` for 1, ..., `"type 99"` for a type FastCGI 1.0 does not define. */
export function recordTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/**
 * One decoded record. `content` may be a view into the chunk given to
 * {@link RecordDecoder.feed}: it is valid only during the callback; copy what you keep.
 */
export interface FcgiRecord {
  type: number;
  requestId: number;
  content: Uint8Array;
}

/** Receives each record; `content` is only valid until the callback returns. */
export type RecordHandler = (type: number, requestId: number, content: Uint8Array) => void;

// ---------------------------------------------------------------------------------------
// Decoding records
// ---------------------------------------------------------------------------------------

/** Where the decoder is inside the current record. */
type DecoderState = "header" | "content" | "padding";

const EMPTY = Buffer.alloc(0);

/**
 * Incremental record decoder (FastCGI 1.0 §3.3). Feed it chunks as they arrive; it calls
 * `onRecord` for every complete record, including types it does not know (the responder
 * answers UNKNOWN_TYPE for those). A record lying whole inside one chunk is delivered as a
 * zero-copy view; a record split across chunks is gathered into one buffer allocated once
 * at its final size. Only the version is checked here: which types and request ids make
 * sense is the responder's business.
 *
 * After any error (bad bytes, or an exception thrown by `onRecord`, which leaves the rest
 * of the chunk undecoded) the decoder is poisoned: every later `feed` throws that error.
 */
export class RecordDecoder {
  #state: DecoderState = "header";
  readonly #header = Buffer.alloc(FCGI_HEADER_LEN);
  #headerFill = 0;
  #type = 0;
  #requestId = 0;
  #contentLength = 0;
  #paddingLength = 0;
  #content: Buffer = EMPTY;
  #contentFill = 0;
  #paddingLeft = 0;
  /** Stream offset of the first byte of the chunk being fed, for error messages. */
  #offset = 0;
  #failed = false;
  #error: unknown;

  /** True when part of a record has been received: a close now cuts a record short. */
  get buffered(): boolean {
    return this.#state !== "header" || this.#headerFill !== 0;
  }

  feed(chunk: Uint8Array, onRecord: RecordHandler): void {
    if (this.#failed) throw this.#error;
    let pos = 0;
    try {
      while (pos < chunk.length) pos = this.#step(chunk, pos, onRecord);
    } catch (err) {
      this.#failed = true;
      this.#error = err;
      throw err;
    }
    this.#offset += chunk.length;
  }

  #step(chunk: Uint8Array, pos: number, onRecord: RecordHandler): number {
    switch (this.#state) {
      case "header":
        return this.#readHeader(chunk, pos, onRecord);
      case "content":
        return this.#readContent(chunk, pos, onRecord);
      case "padding":
        return this.#skipPadding(chunk, pos);
    }
  }

  // FastCGI 1.0 §3.3: every record starts with an 8-byte header
  #readHeader(chunk: Uint8Array, pos: number, onRecord: RecordHandler): number {
    if (this.#headerFill === 0 && chunk.length - pos >= FCGI_HEADER_LEN) {
      this.#parseHeader(chunk, pos, this.#offset + pos);
      return this.#readBody(chunk, pos + FCGI_HEADER_LEN, onRecord);
    }
    const n = Math.min(FCGI_HEADER_LEN - this.#headerFill, chunk.length - pos);
    for (let i = 0; i < n; i++) this.#header[this.#headerFill + i] = chunk[pos + i];
    this.#headerFill += n;
    pos += n;
    if (this.#headerFill < FCGI_HEADER_LEN) return pos;
    this.#headerFill = 0;
    this.#parseHeader(this.#header, 0, this.#offset + pos - FCGI_HEADER_LEN);
    return this.#readBody(chunk, pos, onRecord);
  }

  // FastCGI 1.0 §3.3: version, type, requestIdB1/B0, contentLengthB1/B0, paddingLength, reserved
  #parseHeader(bytes: Uint8Array, at: number, streamOffset: number): void {
    const version = bytes[at];
    if (version !== FCGI_VERSION_1) {
      throw new ProtocolError(
        `FastCGI record header at stream offset ${streamOffset}: unsupported version ${version} (expected ${FCGI_VERSION_1})`,
      );
    }
    this.#type = bytes[at + 1];
    this.#requestId = (bytes[at + 2] << 8) | bytes[at + 3];
    this.#contentLength = (bytes[at + 4] << 8) | bytes[at + 5];
    this.#paddingLength = bytes[at + 6];
  }

  #readBody(chunk: Uint8Array, pos: number, onRecord: RecordHandler): number {
    // Half of a request's records are empty (the ends of PARAMS and STDIN): no view for them.
    if (this.#contentLength === 0) return this.#deliver(EMPTY, chunk, pos, onRecord);
    const end = pos + this.#contentLength;
    if (end <= chunk.length) return this.#deliver(chunk.subarray(pos, end), chunk, end, onRecord);
    this.#content = Buffer.allocUnsafe(this.#contentLength);
    this.#contentFill = 0;
    this.#state = "content";
    return this.#readContent(chunk, pos, onRecord);
  }

  #readContent(chunk: Uint8Array, pos: number, onRecord: RecordHandler): number {
    const content = this.#content;
    const n = Math.min(content.length - this.#contentFill, chunk.length - pos);
    content.set(chunk.subarray(pos, pos + n), this.#contentFill);
    this.#contentFill += n;
    if (this.#contentFill < content.length) return pos + n;
    this.#content = EMPTY;
    return this.#deliver(content, chunk, pos + n, onRecord);
  }

  #deliver(content: Uint8Array, chunk: Uint8Array, pos: number, onRecord: RecordHandler): number {
    this.#paddingLeft = this.#paddingLength;
    this.#state = this.#paddingLeft === 0 ? "header" : "padding";
    onRecord(this.#type, this.#requestId, content);
    return this.#skipPadding(chunk, pos);
  }

  // FastCGI 1.0 §3.3: paddingLength bytes follow the content; their values are ignored
  #skipPadding(chunk: Uint8Array, pos: number): number {
    const n = Math.min(this.#paddingLeft, chunk.length - pos);
    this.#paddingLeft -= n;
    if (this.#paddingLeft === 0) this.#state = "header";
    return pos + n;
  }
}

// ---------------------------------------------------------------------------------------
// Encoding records
// ---------------------------------------------------------------------------------------

const ZEROS = Buffer.alloc(FCGI_HEADER_LEN);
/** PADDING[n] is n zero bytes, shared by every encoded stream. */
const PADDING: readonly Buffer[] = Array.from({ length: 8 }, (_, n) => ZEROS.subarray(0, n));

// FastCGI 1.0 §3.3: "we recommend that records be placed on boundaries that are multiples of eight bytes"
function paddingFor(contentLength: number): number {
  return -contentLength & 7;
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`FastCGI ${what} ${value} is out of range 0..${max}`);
  }
}

function checkIds(type: number, requestId: number): void {
  checkUint(type, 0xff, "record type");
  checkUint(requestId, 0xffff, "request id");
}

function writeHeader(
  buf: Uint8Array,
  type: number,
  requestId: number,
  contentLength: number,
  paddingLength: number,
): void {
  buf[0] = FCGI_VERSION_1;
  buf[1] = type;
  buf[2] = requestId >>> 8;
  buf[3] = requestId & 0xff;
  buf[4] = contentLength >>> 8;
  buf[5] = contentLength & 0xff;
  buf[6] = paddingLength;
  buf[7] = 0;
}

/** One record: header, `content` (at most 65535 bytes) and zero padding to a multiple of 8. */
export function encodeRecord(type: number, requestId: number, content: Uint8Array): Buffer {
  checkIds(type, requestId);
  checkUint(content.length, FCGI_MAX_CONTENT, "record content length");
  const padding = paddingFor(content.length);
  const buf = Buffer.allocUnsafe(FCGI_HEADER_LEN + content.length + padding);
  writeHeader(buf, type, requestId, content.length, padding);
  buf.set(content, FCGI_HEADER_LEN);
  buf.fill(0, FCGI_HEADER_LEN + content.length);
  return buf;
}

/**
 * Appends to `out` the pieces (header, data slice, padding) of the records carrying `data`
 * on stream `type` (STDOUT, STDERR, ...), at most 65535 content bytes each (§3.3, §5.3).
 * `data` is not copied: its slices are views, so keep it unchanged until written; the
 * pieces suit one corked `writev`. Empty `data` appends nothing (the empty record ends a
 * stream: see {@link encodeStreamEnd}).
 */
export function encodeStream(
  type: number,
  requestId: number,
  data: Uint8Array,
  out: Uint8Array[],
): void {
  checkIds(type, requestId);
  for (let at = 0; at < data.length; at += FCGI_MAX_CONTENT) {
    const end = Math.min(at + FCGI_MAX_CONTENT, data.length);
    const piece = at === 0 && end === data.length ? data : data.subarray(at, end);
    const padding = paddingFor(piece.length);
    const head = Buffer.allocUnsafe(FCGI_HEADER_LEN);
    writeHeader(head, type, requestId, piece.length, padding);
    out.push(head, piece);
    if (padding !== 0) out.push(PADDING[padding]);
  }
}

/**
 * ONE record of stream `type` whose content is `text` (a latin-1 byte string, written straight
 * in) followed by `data`, padding included: a response's first STDOUT record, the CGI head and
 * the first body chunk, in a single buffer with no intermediate copy (§3.3, §5.3). Together
 * they must fit one record: `text.length + data.length` at most 65535.
 *
 * `text` is not checked for chars above U+00FF (each would lose its high byte): the head comes
 * from start_response, which refuses them, and the check was a tenth of this record's cost.
 * `room` spare bytes follow the record in the buffer, for the records that end the response.
 */
export function encodeStreamText(
  type: number,
  requestId: number,
  text: string,
  data: Uint8Array,
  room = 0,
): Buffer {
  checkIds(type, requestId);
  const length = text.length + data.length;
  checkUint(length, FCGI_MAX_CONTENT, "record content length");
  const padding = paddingFor(length);
  const end = FCGI_HEADER_LEN + length + padding;
  const buf = Buffer.allocUnsafe(end + room);
  writeHeader(buf, type, requestId, length, padding);
  buf.write(text, FCGI_HEADER_LEN, "latin1");
  buf.set(data, FCGI_HEADER_LEN + text.length);
  for (let at = FCGI_HEADER_LEN + length; at < end; at++) buf[at] = 0;
  return buf;
}

/** The empty record that closes stream `type` of a request (§3.3 "stream records"). */
export function encodeStreamEnd(type: number, requestId: number): Buffer {
  checkIds(type, requestId);
  const buf = Buffer.allocUnsafe(FCGI_HEADER_LEN);
  writeHeader(buf, type, requestId, 0, 0);
  return buf;
}

/** A record with an 8-byte body, zero-filled, for the caller to set fields in. */
function fixedBodyRecord(type: number, requestId: number): Buffer {
  checkIds(type, requestId);
  const buf = Buffer.alloc(FCGI_HEADER_LEN + 8);
  writeHeader(buf, type, requestId, 8, 0);
  return buf;
}

// FastCGI 1.0 §5.5: appStatusB3..B0, protocolStatus, reserved[3]
/** END_REQUEST; `appStatus` is 32 bits (a negative status is sent as its two's complement). */
export function encodeEndRequest(
  requestId: number,
  appStatus: number,
  protocolStatus: number,
): Buffer {
  if (!Number.isInteger(appStatus) || appStatus < -0x80000000 || appStatus > 0xffffffff) {
    throw new RangeError(`FastCGI appStatus ${appStatus} does not fit in 32 bits`);
  }
  checkUint(protocolStatus, 0xff, "protocolStatus");
  const buf = fixedBodyRecord(RecordType.END_REQUEST, requestId);
  buf.writeUInt32BE(appStatus >>> 0, FCGI_HEADER_LEN);
  buf[FCGI_HEADER_LEN + 4] = protocolStatus;
  return buf;
}

// FastCGI 1.0 §4.2: type, reserved[7], on the management id
/** UNKNOWN_TYPE, the answer to a management record of a type we do not know. */
export function encodeUnknownType(type: number): Buffer {
  checkUint(type, 0xff, "record type");
  const buf = fixedBodyRecord(RecordType.UNKNOWN_TYPE, FCGI_NULL_REQUEST_ID);
  buf[FCGI_HEADER_LEN] = type;
  return buf;
}

// FastCGI 1.0 §5.1: roleB1, roleB0, flags, reserved[5]
/** BEGIN_REQUEST, for clients and tests. */
export function encodeBeginRequest(requestId: number, role: number, flags: number): Buffer {
  checkUint(role, 0xffff, "role");
  checkUint(flags, 0xff, "flags");
  const buf = fixedBodyRecord(RecordType.BEGIN_REQUEST, requestId);
  buf.writeUInt16BE(role, FCGI_HEADER_LEN);
  buf[FCGI_HEADER_LEN + 2] = flags;
  return buf;
}

// FastCGI 1.0 §4.1: the answer to GET_VALUES, on the management id
export function encodeGetValuesResult(pairs: Array<[string, string]>): Buffer {
  return encodeRecord(RecordType.GET_VALUES_RESULT, FCGI_NULL_REQUEST_ID, encodePairs(pairs));
}

const NOT_LATIN1 = /[^\x00-\xff]/;

function checkLatin1(text: string, what: string): void {
  if (NOT_LATIN1.test(text)) {
    throw new RangeError(
      `FastCGI pair ${what} ${JSON.stringify(text.slice(0, 64))} has a character above U+00FF (strings are latin-1 bytes)`,
    );
  }
}

// FastCGI 1.0 §3.4: a length below 128 takes 1 byte, else 4 bytes with the high bit set
function lengthSize(length: number): number {
  return length < 0x80 ? 1 : 4;
}

function writeLength(buf: Buffer, at: number, length: number): number {
  if (length < 0x80) {
    buf[at] = length;
    return at + 1;
  }
  buf.writeUInt32BE((length | 0x80000000) >>> 0, at);
  return at + 4;
}

/** Name-value pairs (§3.4) of latin-1 strings, in order. */
export function encodePairs(pairs: Iterable<[string, string]>): Buffer {
  const list = Array.isArray(pairs) ? pairs : Array.from(pairs);
  let size = 0;
  for (const [name, value] of list) {
    checkLatin1(name, "name");
    checkLatin1(value, "value");
    size += lengthSize(name.length) + lengthSize(value.length) + name.length + value.length;
  }
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [name, value] of list) {
    at = writeLength(buf, at, name.length);
    at = writeLength(buf, at, value.length);
    at += buf.write(name, at, "latin1");
    at += buf.write(value, at, "latin1");
  }
  return buf;
}

// ---------------------------------------------------------------------------------------
// Decoding record bodies
// ---------------------------------------------------------------------------------------

export interface BeginRequestBody {
  role: number;
  flags: number;
  keepConn: boolean;
}

export interface EndRequestBody {
  appStatus: number;
  protocolStatus: number;
}

function checkBodyLength(content: Uint8Array, what: string, section: string): void {
  if (content.length !== 8) {
    throw new ProtocolError(
      `${what}: content length ${content.length} (expected 8; FastCGI 1.0 ${section})`,
    );
  }
}

// FastCGI 1.0 §5.1: roleB1, roleB0, flags, reserved[5]; application records need id != 0 (§3.3)
/** The body of BEGIN_REQUEST. The role is returned as sent: the responder answers UNKNOWN_ROLE. */
export function decodeBeginRequest(requestId: number, content: Uint8Array): BeginRequestBody {
  if (requestId === FCGI_NULL_REQUEST_ID) {
    throw new ProtocolError(
      "BEGIN_REQUEST with request id 0 (the management id; FastCGI 1.0 §3.3)",
    );
  }
  checkBodyLength(content, `BEGIN_REQUEST for request ${requestId}`, "§5.1");
  const flags = content[2];
  return { role: (content[0] << 8) | content[1], flags, keepConn: (flags & FCGI_KEEP_CONN) !== 0 };
}

// FastCGI 1.0 §5.5: appStatusB3..B0, protocolStatus, reserved[3]
export function decodeEndRequest(content: Uint8Array): EndRequestBody {
  checkBodyLength(content, "END_REQUEST", "§5.5");
  const appStatus =
    ((content[0] << 24) | (content[1] << 16) | (content[2] << 8) | content[3]) >>> 0;
  return { appStatus, protocolStatus: content[4] };
}

// FastCGI 1.0 §4.2: type, reserved[7]
export function decodeUnknownType(content: Uint8Array): { type: number } {
  checkBodyLength(content, "UNKNOWN_TYPE", "§4.2");
  return { type: content[0] };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Slots past this (pairs past half of it) and strings longer than MAX_CACHED are not kept. */
const CACHE_SLOTS = 128;
const MAX_CACHED = 128;

/**
 * The strings of the PARAMS last decoded on one connection, by position. A web server sends
 * the same names in the same order on every request, and many of the same values: reusing
 * the string whose bytes match skips a latin-1 decode and, for a name, V8's string-table
 * lookup when it becomes a key: 17.8 -> 15.2 µs CPU a hello-world request (bench/micro/fastcgi-path.mjs).
 */
export class PairStringCache {
  readonly #strings: string[] = [];

  /** The string slot `slot` holds if its bytes are `bytes[start, end)`; else undefined. */
  find(bytes: Buffer, start: number, end: number, slot: number): string | undefined {
    if (slot >= CACHE_SLOTS || end - start > MAX_CACHED) return undefined;
    const cached = this.#strings[slot];
    return cached !== undefined && sameBytes(cached, bytes, start, end) ? cached : undefined;
  }

  /** Remembers `text` for slot `slot` (if it is one that is kept). */
  keep(slot: number, text: string): void {
    if (slot < CACHE_SLOTS && text.length <= MAX_CACHED) this.#strings[slot] = text;
  }
}

function sameBytes(text: string, bytes: Buffer, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== bytes[start + i]) return false;
  }
  return true;
}

/** Reads name-value pairs (§3.4) one at a time; `context` starts every error message. */
class PairCursor {
  name = "";
  value = "";
  readonly #bytes: Buffer;
  readonly #context: string;
  readonly #requestId: number;
  readonly #cache: PairStringCache | null;
  #pos = 0;
  #index = 0;

  /**
   * `context` names the data in error messages; with a `requestId` (not 0) it reads
   * "`context` for request `requestId`", composed only on an error: most PARAMS have none.
   */
  constructor(bytes: Buffer, context: string, requestId = 0, cache: PairStringCache | null = null) {
    this.#bytes = bytes;
    this.#context = context;
    this.#requestId = requestId;
    this.#cache = cache;
  }

  /**
   * Reads the next pair into `name` and `value`; false at the end of the data. §3.4 lets a
   * name be empty, but no variable is called "": such a pair is well-formed and skipped, as
   * §4.1 leaves out a name the application does not know.
   */
  next(): boolean {
    for (;;) {
      const start = this.#pos;
      if (start >= this.#bytes.length) return false;
      const nameLength = this.#readLength(start, "name");
      const valueLength = this.#readLength(start, "value");
      const need = nameLength + valueLength;
      const left = this.#bytes.length - this.#pos;
      if (need > left) {
        throw this.#fail(start, `overruns its data (needs ${need} bytes, ${left} left)`);
      }
      const nameEnd = this.#pos + nameLength;
      const valueEnd = nameEnd + valueLength;
      if (nameLength === 0) {
        this.#pos = valueEnd;
        continue;
      }
      const slot = 2 * this.#index;
      this.name = this.#string(this.#pos, nameEnd, slot, start);
      this.value = this.#string(nameEnd, valueEnd, slot + 1);
      this.#pos = valueEnd;
      this.#index++;
      return true;
    }
  }

  /**
   * Bytes [start, end) as a latin-1 string, the connection's cached one when the bytes match. A
   * name (`pairStart` given) is checked only when it is new: a cached one passed before.
   */
  #string(start: number, end: number, slot: number, pairStart = -1): string {
    const cache = this.#cache;
    const cached = cache?.find(this.#bytes, start, end, slot);
    if (cached !== undefined) return cached;
    const text = this.#bytes.toString("latin1", start, end);
    if (pairStart >= 0) this.#checkName(pairStart, text);
    cache?.keep(slot, text);
    return text;
  }

  // FastCGI 1.0 §3.4: nameLengthB0 (< 128) or nameLengthB3 (high bit set) ..B0
  #readLength(start: number, what: string): number {
    const bytes = this.#bytes;
    const at = this.#pos;
    if (at >= bytes.length) throw this.#fail(start, `is cut short before its ${what} length`);
    const first = bytes[at];
    if (first < 0x80) {
      this.#pos = at + 1;
      return first;
    }
    if (at + 4 > bytes.length) {
      const left = bytes.length - at;
      throw this.#fail(
        start,
        `has a 4-byte ${what} length at byte ${at} that overruns its data (${left} left)`,
      );
    }
    this.#pos = at + 4;
    return bytes.readUInt32BE(at) & 0x7fffffff;
  }

  #checkName(start: number, name: string): void {
    if (name.includes("\0")) {
      throw this.#fail(start, `has a NUL byte in its name ${JSON.stringify(name.slice(0, 64))}`);
    }
  }

  #fail(start: number, problem: string): ProtocolError {
    const context =
      this.#requestId === 0 ? this.#context : `${this.#context} for request ${this.#requestId}`;
    return new ProtocolError(`${context}: pair at byte ${start} ${problem}`);
  }
}

/**
 * Name-value pairs (§3.4) as latin-1 strings, in order, e.g. the body of GET_VALUES (§4.1).
 * `context` names the data in error messages (`"GET_VALUES"`).
 */
export function decodePairs(content: Uint8Array, context: string): Array<[string, string]> {
  const cursor = new PairCursor(asBuffer(content), context);
  const pairs: Array<[string, string]> = [];
  while (cursor.next()) pairs.push([cursor.name, cursor.value]);
  return pairs;
}

export interface ParamsLimits {
  /** Total PARAMS content bytes allowed (the server's `maxParamsBytes`). */
  maxBytes: number;
  /** Pairs allowed (the server's `maxParamsPairs`). */
  maxPairs: number;
}

/**
 * Collects the PARAMS stream of one request (§5.2): `add` each record's content (copied,
 * since decoder views do not outlive the callback; a pair may straddle records), then
 * `finish` at the empty PARAMS record. `add(content, true)` borrows the view instead, for a
 * caller that calls `adopt()` before the bytes under it may change. The result is a plain object in which a param named
 * `__proto__` is an own key like any other; a repeated name keeps its last value.
 */
export class ParamsAccumulator {
  readonly requestId: number;
  readonly #limits: ParamsLimits;
  readonly #cache: PairStringCache | null;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #borrowed = false;

  /** `cache`: the connection's, so its requests share the strings of repeated params. */
  constructor(requestId: number, limits: ParamsLimits, cache: PairStringCache | null = null) {
    this.requestId = requestId;
    this.#limits = limits;
    this.#cache = cache;
  }

  /** PARAMS content bytes received so far. */
  get bytes(): number {
    return this.#bytes;
  }

  add(content: Uint8Array, borrow = false): void {
    const total = this.#bytes + content.length;
    if (total > this.#limits.maxBytes) {
      throw new LimitError(
        `PARAMS for request ${this.requestId}: ${total} bytes exceed limit ${this.#limits.maxBytes} (maxParamsBytes)`,
      );
    }
    if (content.length === 0) return;
    if (borrow) this.#borrowed = true;
    this.#chunks.push(borrow ? asBuffer(content) : Buffer.from(content));
    this.#bytes = total;
  }

  /** Copies what `add` borrowed: after this, the caller's bytes may change. */
  adopt(): void {
    if (!this.#borrowed) return;
    this.#borrowed = false;
    this.#chunks = [Buffer.concat(this.#chunks, this.#bytes)];
  }

  finish(): Record<string, string> {
    const { names, values } = this.finishList();
    const params: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) setVariable(params, names[i], values[i]);
    return params;
  }

  /**
   * The pairs as received, for `buildEnviron`: no object in between, which ~20 params under
   * computed keys would turn into a V8 dictionary (see MetaVariableList).
   */
  finishList(): MetaVariableList {
    const chunks = this.#chunks;
    this.#chunks = [];
    const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.#bytes);
    const cursor = new PairCursor(data, "PARAMS", this.requestId, this.#cache);
    const list = new MetaVariableList();
    const { maxPairs } = this.#limits;
    for (let count = 1; cursor.next(); count++) {
      if (count > maxPairs) {
        throw new LimitError(
          `PARAMS for request ${this.requestId}: pair count exceeds limit ${maxPairs} (maxParamsPairs)`,
        );
      }
      list.add(cursor.name, cursor.value);
    }
    return list;
  }
}
