import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LimitError, ProtocolError, TsgiError } from "../../src/core/errors.js";
import {
  decodeBeginRequest,
  decodeEndRequest,
  decodePairs,
  decodeUnknownType,
  encodeBeginRequest,
  encodeEndRequest,
  encodeGetValuesResult,
  encodePairs,
  encodeRecord,
  encodeStream,
  encodeStreamEnd,
  encodeStreamText,
  encodeUnknownType,
  FCGI_KEEP_CONN,
  FCGI_MAX_CONNS,
  FCGI_MAX_CONTENT,
  FCGI_MPXS_CONNS,
  type FcgiRecord,
  PairStringCache,
  ParamsAccumulator,
  ProtocolStatus,
  RecordDecoder,
  RecordType,
  Role,
  recordTypeName,
} from "../../src/protocol/fastcgi.js";
import { bytes, collect, concat, pair, record, splitAt } from "../helpers/fastcgi-records.js";

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
const joined = (pieces: Uint8Array[]) => hex(concat(...pieces));
const limits = { maxBytes: 65536, maxPairs: 1000 };
const { BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR, GET_VALUES_RESULT } = RecordType;

function streamPieces(type: number, id: number, data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  encodeStream(type, id, data, out);
  return out;
}

describe("constants", () => {
  it("names record types", () => {
    expect(recordTypeName(1)).toBe("BEGIN_REQUEST");
    expect(recordTypeName(11)).toBe("UNKNOWN_TYPE");
    expect(recordTypeName(99)).toBe("type 99");
    expect([Role.RESPONDER, Role.AUTHORIZER, Role.FILTER]).toEqual([1, 2, 3]);
    expect(ProtocolStatus.UNKNOWN_ROLE).toBe(3);
  });
});

describe("encoders: golden bytes", () => {
  const n127 = "n".repeat(127);
  const v128 = "v".repeat(128);
  const big = "x".repeat(70000);
  const cases: Array<[string, () => Uint8Array, Uint8Array]> = [
    ["empty record", () => encodeRecord(STDOUT, 1, new Uint8Array(0)), record(6, 1)],
    [
      "5 bytes padded by 3",
      () => encodeRecord(STDOUT, 1, Buffer.from("hello")),
      record(6, 1, "hello", 3),
    ],
    [
      "8 bytes, no padding",
      () => encodeRecord(STDERR, 258, Buffer.from("12345678")),
      record(7, 258, "12345678", 0),
    ],
    [
      "max request id",
      () => encodeRecord(STDIN, 65535, Buffer.from("a")),
      record(5, 65535, "a", 7),
    ],
    ["stream end", () => encodeStreamEnd(STDOUT, 9), record(6, 9, [], 0)],
    [
      "end request",
      () => encodeEndRequest(1, 0, ProtocolStatus.REQUEST_COMPLETE),
      record(3, 1, [0, 0, 0, 0, 0, 0, 0, 0]),
    ],
    [
      "end request with status",
      () => encodeEndRequest(300, 0x01020304, ProtocolStatus.OVERLOADED),
      record(3, 300, [1, 2, 3, 4, 2, 0, 0, 0]),
    ],
    [
      "end request, status -1",
      () => encodeEndRequest(1, -1, 0),
      record(3, 1, [255, 255, 255, 255, 0, 0, 0, 0]),
    ],
    ["unknown type", () => encodeUnknownType(99), record(11, 0, [99, 0, 0, 0, 0, 0, 0, 0])],
    [
      "begin request",
      () => encodeBeginRequest(1, Role.RESPONDER, FCGI_KEEP_CONN),
      record(1, 1, [0, 1, 1, 0, 0, 0, 0, 0]),
    ],
    [
      "get values result",
      () =>
        encodeGetValuesResult([
          [FCGI_MPXS_CONNS, "0"],
          [FCGI_MAX_CONNS, "10"],
        ]),
      record(10, 0, concat(pair("FCGI_MPXS_CONNS", "0"), pair("FCGI_MAX_CONNS", "10"))),
    ],
    ["pair, 1-byte lengths", () => encodePairs([["A", "bc"]]), Uint8Array.from([1, 2, 65, 98, 99])],
    ["pair, empty value", () => encodePairs([["A", ""]]), Uint8Array.from([1, 0, 65])],
    ["pair, name 127 (1 byte)", () => encodePairs([[n127, "v"]]), concat([127, 1], n127, "v")],
    [
      "pair, value 128 (4 bytes)",
      () => encodePairs([["n", v128]]),
      concat([1, 0x80, 0, 0, 128], "n", v128),
    ],
    ["pair, 70000", () => encodePairs([[big, ""]]), concat([0x80, 1, 0x11, 0x70, 0], big)],
    [
      "pair, latin-1",
      () => encodePairs([["\u00ff", "\u00e9\u0000"]]),
      Uint8Array.from([1, 2, 255, 233, 0]),
    ],
    [
      "pairs from an iterable",
      () =>
        encodePairs(
          new Map([
            ["a", "1"],
            ["b", "2"],
          ]),
        ),
      concat(pair("a", "1"), pair("b", "2")),
    ],
    [
      "stream, small",
      () => concat(...streamPieces(STDOUT, 1, Buffer.from("hi"))),
      record(6, 1, "hi"),
    ],
    [
      "stream text and data in one record",
      () => encodeStreamText(STDOUT, 3, "Status: 200 OK\r\n\r\n", Buffer.from("hello")),
      record(6, 3, "Status: 200 OK\r\n\r\nhello", 1),
    ],
    [
      "stream text, latin-1, no data, no padding",
      () => encodeStreamText(STDOUT, 258, "caf\u00e9\u00ff\u0000ab", new Uint8Array(0)),
      record(6, 258, Uint8Array.from([99, 97, 102, 233, 255, 0, 97, 98]), 0),
    ],
    [
      "stream text, data from a view",
      () => encodeStreamText(STDERR, 1, "a", Buffer.from("xbcx").subarray(1, 3)),
      record(7, 1, "abc", 5),
    ],
  ];
  it.each(cases)("%s", (_name, encode, expected) => {
    expect(hex(encode())).toBe(hex(expected));
  });

  it("streams 65535 bytes in one record, 65536 in two, without copying", () => {
    const data = Buffer.alloc(65536 + 3, 0x61);
    const one = streamPieces(STDOUT, 1, data.subarray(0, FCGI_MAX_CONTENT));
    expect(joined(one)).toBe(hex(record(6, 1, data.subarray(0, FCGI_MAX_CONTENT), 1)));
    const two = streamPieces(STDOUT, 1, data.subarray(0, 65536));
    expect(joined(two)).toBe(
      hex(concat(record(6, 1, data.subarray(0, FCGI_MAX_CONTENT), 1), record(6, 1, "a", 7))),
    );
    for (const piece of two.filter((p) => p.length > 8)) expect(piece.buffer).toBe(data.buffer);
    expect(streamPieces(STDOUT, 1, data.subarray(0, 0))).toEqual([]);
  });

  it.each([
    [
      "content over 65535",
      () => encodeRecord(STDOUT, 1, new Uint8Array(65536)),
      "content length 65536",
    ],
    ["request id over 65535", () => encodeStreamEnd(STDOUT, 65536), "request id 65536"],
    ["type over 255", () => encodeUnknownType(256), "record type 256"],
    ["app status over 32 bits", () => encodeEndRequest(1, 2 ** 32, 0), "appStatus"],
    ["name above U+00FF", () => encodePairs([["\u0100", ""]]), "above U+00FF"],
    [
      "stream text and data over 65535",
      () => encodeStreamText(STDOUT, 1, "ab", new Uint8Array(65534)),
      "content length 65536",
    ],
    [
      "stream text, request id over 65535",
      () => encodeStreamText(STDOUT, 65536, "", new Uint8Array(0)),
      "request id 65536",
    ],
  ])("refuses %s", (_name, encode, message) => {
    expect(encode).toThrow(RangeError);
    expect(encode).toThrow(message);
  });
});

describe("RecordDecoder", () => {
  const stream = concat(
    record(BEGIN_REQUEST, 1, [0, 1, 0, 0, 0, 0, 0, 0]),
    record(PARAMS, 1, pair("REQUEST_METHOD", "GET")),
    record(PARAMS, 1),
    record(STDIN, 1, "body", 12),
    record(STDIN, 1, []),
  );
  const expected = collect([stream]);

  it("decodes many records in one chunk", () => {
    expect(expected.map((r) => [r.type, r.requestId, r.content.length])).toEqual([
      [BEGIN_REQUEST, 1, 8],
      [PARAMS, 1, 19],
      [PARAMS, 1, 0],
      [STDIN, 1, 4],
      [STDIN, 1, 0],
    ]);
    expect(Buffer.from(expected[3].content).toString()).toBe("body");
  });

  it("decodes a stream split at every offset, and byte by byte", () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(collect([stream.subarray(0, i), stream.subarray(i)])).toEqual(expected);
    }
    expect(collect(Array.from(stream, (b) => Uint8Array.of(b)))).toEqual(expected);
  });

  it("hands out views into the chunk for whole records", () => {
    const chunk = concat(record(STDIN, 1, "abc"), record(STDIN, 2, "defgh"));
    const views: Uint8Array[] = [];
    new RecordDecoder().feed(chunk, (_t, _id, content) => views.push(content));
    expect(views.map((v) => [v.buffer === chunk.buffer, v.byteOffset, v.length])).toEqual([
      [true, 8, 3],
      [true, 24, 5],
    ]);
  });

  it("skips padding of any length and value, and parses 16-bit ids and lengths", () => {
    const long = Buffer.alloc(300, 7);
    const padded = concat(
      record(STDIN, 0x1234, long, 255).fill(9, 8 + 300),
      record(STDERR, 0, "x", 0),
    );
    for (const chunks of [[padded], splitAt(padded, [3, 100, 309, 500])]) {
      const records = collect(chunks);
      expect(records.map((r) => [r.type, r.requestId, hex(r.content)])).toEqual([
        [STDIN, 0x1234, hex(long)],
        [STDERR, 0, "78"],
      ]);
    }
  });

  it("delivers record types it does not know", () => {
    expect(collect([record(99, 0, "?")])).toEqual([
      { type: 99, requestId: 0, content: Uint8Array.of(63) },
    ]);
  });

  it("reports whether it is mid-record", () => {
    const decoder = new RecordDecoder();
    const rec = record(STDIN, 1, "abc");
    const states: boolean[] = [decoder.buffered];
    for (const cut of [
      [0, 4],
      [4, 8],
      [8, 10],
      [10, 12],
      [12, 16],
    ]) {
      collect([rec.subarray(cut[0], cut[1])], decoder);
      states.push(decoder.buffered);
    }
    expect(states).toEqual([false, true, true, true, true, false]);
  });

  it("gathers a 65535-byte record fed in small chunks", () => {
    const content = Buffer.alloc(FCGI_MAX_CONTENT, 5);
    const records = collect(splitAt(record(STDIN, 1, content), [1000, 5, 40000, 65542]));
    expect(records).toHaveLength(1);
    expect(hex(records[0].content)).toBe(hex(content));
  });
});

describe("ParamsAccumulator and decodePairs", () => {
  it("decodes pairs straddling records; last value wins; latin-1", () => {
    const data = concat(
      pair("A", "1"),
      pair("\u00ff", "\u00e9"),
      pair("B", "v".repeat(200)),
      pair("A", "2"),
    );
    const acc = new ParamsAccumulator(1, limits);
    for (const piece of splitAt(data, [2, 3, 9, 20])) acc.add(piece);
    expect(acc.finish()).toEqual({ A: "2", "\u00ff": "\u00e9", B: "v".repeat(200) });
  });

  // §3.4 allows a zero-length name; no CGI variable has one, so the pair is passed over.
  it("skips a pair with an empty name, in PARAMS and in GET_VALUES", () => {
    const data = concat(pair("", "x"), pair("A", "1"), pair("", ""), pair("B", "2"));
    const acc = new ParamsAccumulator(1, limits);
    for (const piece of splitAt(data, [1, 4])) acc.add(piece);
    expect(acc.finish()).toEqual({ A: "1", B: "2" });
    expect(decodePairs(concat(pair("", ""), pair("FCGI_MAX_REQS", "")), "GET_VALUES")).toEqual([
      ["FCGI_MAX_REQS", ""],
    ]);
  });

  it("copies what it is given", () => {
    const content = pair("A", "1");
    const acc = new ParamsAccumulator(1, limits);
    acc.add(content);
    content.fill(0);
    expect(acc.finish()).toEqual({ A: "1" });
  });

  // The responder borrows the socket chunk's bytes and adopts them when the chunk is done.
  it.each([
    { adopt: true, expected: { A: "1", B: "22" } },
    { adopt: false, expected: { A: "1", B: "99" } }, // borrowed: the caller's change shows
  ])("add(content, true) borrows until adopt() copies (adopt: $adopt)", ({ adopt, expected }) => {
    const first = pair("A", "1");
    const second = pair("B", "22");
    const acc = new ParamsAccumulator(1, limits);
    acc.add(first, true);
    acc.add(second, true);
    if (adopt) acc.adopt();
    second.set(bytes("99"), 3);
    expect(acc.finish()).toEqual(expected);
  });

  it("adopt() with nothing borrowed keeps the copies it has", () => {
    const content = pair("A", "1");
    const acc = new ParamsAccumulator(1, limits);
    acc.add(content);
    acc.adopt();
    content.fill(0);
    expect(acc.finish()).toEqual({ A: "1" });
  });

  // Two requests on one connection share a PairStringCache: a cached string is reused only
  // when its bytes match, never merely because the length and the position do.
  it("reuses the connection's strings only for the same bytes", () => {
    const cache = new PairStringCache();
    const decode = (...pairs: Array<[string, string]>) => {
      const acc = new ParamsAccumulator(1, limits, cache);
      acc.add(concat(...pairs.map(([name, value]) => pair(name, value))));
      return acc.finish();
    };
    const first = decode(["REQUEST_URI", "/aaa"], ["REMOTE_PORT", "51234"], ["HTTP_X", "1"]);
    expect(first).toEqual({ REQUEST_URI: "/aaa", REMOTE_PORT: "51234", HTTP_X: "1" });
    const second = decode(["REQUEST_URI", "/abb"], ["REMOTE_PORT", "51299"], ["HTTP_Y", "2"]);
    expect(second).toEqual({ REQUEST_URI: "/abb", REMOTE_PORT: "51299", HTTP_Y: "2" });
    const third = decode(["REQUEST_URI", "/aaa"], ["REMOTE_PORT", "51299"], ["HTTP_X", "1"]);
    expect(third).toEqual({ REQUEST_URI: "/aaa", REMOTE_PORT: "51299", HTTP_X: "1" });
  });

  it("keeps the last value of a repeated name, with the cache", () => {
    const cache = new PairStringCache();
    for (const last of ["two", "six", "one"]) {
      const acc = new ParamsAccumulator(1, limits, cache);
      acc.add(concat(pair("X", "one"), pair("Y", "1"), pair("X", last)));
      expect(acc.finish()).toEqual({ X: last, Y: "1" });
    }
  });

  it("refuses a bad name every time, not only before it is cached", () => {
    const cache = new PairStringCache();
    for (let i = 0; i < 2; i++) {
      const acc = new ParamsAccumulator(1, limits, cache);
      acc.add(concat(pair("A", "1"), pair("B\0", "2")));
      expect(() => acc.finish()).toThrow(/NUL byte in its name/);
    }
  });

  it("decodes long values and many pairs past what the cache keeps", () => {
    const cache = new PairStringCache();
    const pairs = Array.from({ length: 100 }, (_, i): [string, string] => [`N${i}`, `v${i}`]);
    for (const long of ["x".repeat(300), "y".repeat(300)]) {
      const acc = new ParamsAccumulator(1, limits, cache);
      acc.add(concat(...pairs.map(([n, v]) => pair(n, v)), pair("LONG", long)));
      const params = acc.finish();
      expect(params.LONG).toBe(long);
      expect(params.N99).toBe("v99");
    }
  });

  it("keeps a param named __proto__", () => {
    const acc = new ParamsAccumulator(1, limits);
    acc.add(pair("__proto__", "x"));
    expect(Object.entries(acc.finish())).toEqual([["__proto__", "x"]]);
  });

  it("decodes GET_VALUES pairs in order", () => {
    expect(
      decodePairs(concat(pair(FCGI_MAX_CONNS, ""), pair(FCGI_MPXS_CONNS, "")), "GET_VALUES"),
    ).toEqual([
      [FCGI_MAX_CONNS, ""],
      [FCGI_MPXS_CONNS, ""],
    ]);
  });

  it("decodes record bodies", () => {
    expect(decodeBeginRequest(1, Uint8Array.of(0, 1, 1, 0, 0, 0, 0, 0))).toEqual({
      role: 1,
      flags: 1,
      keepConn: true,
    });
    expect(decodeBeginRequest(2, Uint8Array.of(1, 2, 0, 0, 0, 0, 0, 0))).toEqual({
      role: 258,
      flags: 0,
      keepConn: false,
    });
    expect(decodeEndRequest(Uint8Array.of(255, 255, 255, 254, 3, 0, 0, 0))).toEqual({
      appStatus: 0xfffffffe,
      protocolStatus: 3,
    });
    expect(decodeUnknownType(Uint8Array.of(42, 0, 0, 0, 0, 0, 0, 0))).toEqual({ type: 42 });
  });
});

describe("malformed input", () => {
  const params = (id: number, ...chunks: Uint8Array[]) => {
    const acc = new ParamsAccumulator(id, { maxBytes: 65536, maxPairs: 3 });
    for (const chunk of chunks) acc.add(chunk);
    return acc.finish();
  };
  const feed = (...chunks: Uint8Array[]) => collect(chunks);
  const cases: Array<[string, () => unknown, typeof ProtocolError | typeof LimitError, string]> = [
    [
      "bad version",
      () => feed(record(STDIN, 1, "x", undefined, 2)),
      ProtocolError,
      "FastCGI record header at stream offset 0: unsupported version 2 (expected 1)",
    ],
    [
      "bad version in a later, split header",
      () => feed(concat(record(STDIN, 1, "x"), [0, 6]), Uint8Array.of(0, 0, 0, 0, 0, 0)),
      ProtocolError,
      "stream offset 16: unsupported version 0",
    ],
    [
      "BEGIN_REQUEST of 7 bytes",
      () => decodeBeginRequest(5, new Uint8Array(7)),
      ProtocolError,
      "BEGIN_REQUEST for request 5: content length 7 (expected 8",
    ],
    [
      "BEGIN_REQUEST with id 0",
      () => decodeBeginRequest(0, new Uint8Array(8)),
      ProtocolError,
      "BEGIN_REQUEST with request id 0",
    ],
    [
      "END_REQUEST of 0 bytes",
      () => decodeEndRequest(new Uint8Array(0)),
      ProtocolError,
      "END_REQUEST: content length 0",
    ],
    [
      "UNKNOWN_TYPE of 9 bytes",
      () => decodeUnknownType(new Uint8Array(9)),
      ProtocolError,
      "UNKNOWN_TYPE: content length 9",
    ],
    [
      "pair overrunning its data",
      () => params(3, concat([20, 20], "x".repeat(12))),
      ProtocolError,
      "PARAMS for request 3: pair at byte 0 overruns its data (needs 40 bytes, 12 left)",
    ],
    [
      "second pair overrunning",
      () => params(3, concat(pair("A", "1"), [1, 5, 66])),
      ProtocolError,
      "pair at byte 4 overruns its data (needs 6 bytes, 1 left)",
    ],
    [
      "4-byte name length overrunning",
      () => params(4, Uint8Array.of(0x80, 0, 0)),
      ProtocolError,
      "PARAMS for request 4: pair at byte 0 has a 4-byte name length at byte 0 that overruns its data (3 left)",
    ],
    [
      "4-byte value length overrunning",
      () => decodePairs(Uint8Array.of(1, 0x80, 0), "GET_VALUES"),
      ProtocolError,
      "GET_VALUES: pair at byte 0 has a 4-byte value length at byte 1",
    ],
    [
      "pair without a value length",
      () => params(4, Uint8Array.of(1)),
      ProtocolError,
      "cut short before its value length",
    ],
    [
      "NUL in a name",
      () => params(6, pair("A\0B", "1")),
      ProtocolError,
      "PARAMS for request 6: pair at byte 0 has a NUL byte in its name",
    ],
    [
      "params bytes over the limit",
      () => params(7, new Uint8Array(65535), new Uint8Array(4465)),
      LimitError,
      "PARAMS for request 7: 70000 bytes exceed limit 65536 (maxParamsBytes)",
    ],
    [
      "pair count over the limit",
      () => params(8, pair("A", ""), pair("B", ""), pair("C", ""), pair("D", "")),
      LimitError,
      "PARAMS for request 8: pair count exceeds limit 3 (maxParamsPairs)",
    ],
  ];
  it.each(cases)("%s", (_name, run, errorClass, message) => {
    expect(run).toThrow(errorClass);
    expect(run).toThrow(message);
  });

  it("poisons the decoder after an error", () => {
    const decoder = new RecordDecoder();
    const bad = () => decoder.feed(record(STDIN, 1, "", 0, 3), () => {});
    expect(bad).toThrow(ProtocolError);
    let again: unknown;
    try {
      decoder.feed(record(STDIN, 1, "ok"), () => {});
    } catch (err) {
      again = err;
    }
    expect(again).toBeInstanceOf(ProtocolError);
    expect(() => decoder.feed(new Uint8Array(0), () => {})).toThrow(again as Error);
  });

  it("poisons the decoder when the callback throws", () => {
    const decoder = new RecordDecoder();
    const boom = new Error("boom");
    const stream = concat(record(STDIN, 1, "a"), record(STDIN, 1, "b"));
    expect(() =>
      decoder.feed(stream, () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(() => decoder.feed(record(STDIN, 1), () => {})).toThrow(boom);
  });
});

// ----------------------------------------------------------------------------------------
// Properties
// ----------------------------------------------------------------------------------------

const latin1Char = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const nameChar = fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c));
const name = fc.oneof(
  fc.string({ unit: nameChar, minLength: 1, maxLength: 8 }),
  fc.string({ unit: nameChar, minLength: 120, maxLength: 300 }),
);
const value = fc.oneof(
  fc.string({ unit: latin1Char, maxLength: 8 }),
  fc.string({ unit: latin1Char, minLength: 120, maxLength: 300 }),
);
const cuts = fc.array(fc.nat(), { maxLength: 8 });
const runs = { numRuns: 200 };

type Outcome = { records: FcgiRecord[]; error?: string; buffered: boolean };

/** What the decoder makes of `chunks`: the records before any error, and the error's message. */
function outcome(chunks: Uint8Array[]): Outcome {
  const decoder = new RecordDecoder();
  const records: FcgiRecord[] = [];
  try {
    for (const chunk of chunks) {
      decoder.feed(chunk, (type, requestId, content) => {
        records.push({ type, requestId, content: Uint8Array.from(content) });
      });
    }
    return { records, buffered: decoder.buffered };
  } catch (err) {
    if (!(err instanceof TsgiError)) throw err;
    return { records, error: err.message, buffered: false };
  }
}

describe("properties", () => {
  it("encodePairs / ParamsAccumulator round trip, split across records", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 12 }), cuts, (pairs, at) => {
        const expected: Record<string, string> = Object.create(null);
        for (const [n, v] of pairs) expected[n] = v;
        const acc = new ParamsAccumulator(1, { maxBytes: 1 << 20, maxPairs: 100 });
        for (const piece of splitAt(encodePairs(pairs), at)) acc.add(piece);
        expect(acc.finish()).toEqual(expected);
        expect(decodePairs(encodePairs(pairs), "test")).toEqual(pairs);
      }),
      runs,
    );
  });

  const anyRecord = fc.record({
    type: fc.integer({ min: 0, max: 255 }),
    requestId: fc.integer({ min: 0, max: 65535 }),
    content: fc.uint8Array({ maxLength: 300 }),
  });

  it("encoded records decode the same however the stream is split", () => {
    fc.assert(
      fc.property(fc.array(anyRecord, { maxLength: 8 }), cuts, (records, at) => {
        const stream = concat(...records.map((r) => encodeRecord(r.type, r.requestId, r.content)));
        expect(collect(splitAt(stream, at))).toEqual(records);
        expect(collect([stream])).toEqual(records);
      }),
      runs,
    );
  });

  const mutatedStream = fc
    .tuple(
      fc.array(anyRecord, { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.nat({ max: 40 }),
    )
    .map(([records, edits, trim]) => {
      const stream = concat(...records.map((r) => encodeRecord(r.type, r.requestId, r.content)));
      for (const [at, byte] of edits) stream[at % stream.length] = byte;
      return stream.subarray(0, Math.max(0, stream.length - trim));
    });

  it("arbitrary bytes: a split stream yields the same records or the same error", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), mutatedStream),
        cuts,
        (stream, at) => {
          const whole = outcome([stream]);
          const split = outcome(splitAt(stream, at));
          expect(split.error).toBe(whole.error);
          expect(split.records).toEqual(whole.records);
          if (whole.error === undefined) expect(split.buffered).toBe(whole.buffered);
        },
      ),
      runs,
    );
  });
});

it("BEGIN_REQUEST, PARAMS and STDIN round trip through encoders and decoder", () => {
  const out: Uint8Array[] = [encodeBeginRequest(1, Role.RESPONDER, 0)];
  encodeStream(PARAMS, 1, encodePairs([["SCRIPT_NAME", "/x"]]), out);
  out.push(encodeStreamEnd(PARAMS, 1), encodeEndRequest(1, 0, 0));
  const records = collect(out);
  expect(records.map((r) => recordTypeName(r.type))).toEqual([
    "BEGIN_REQUEST",
    "PARAMS",
    "PARAMS",
    "END_REQUEST",
  ]);
  expect(decodeBeginRequest(1, records[0].content).role).toBe(Role.RESPONDER);
  expect(decodePairs(records[1].content, "PARAMS")).toEqual([["SCRIPT_NAME", "/x"]]);
  expect(decodeEndRequest(records[3].content)).toEqual({ appStatus: 0, protocolStatus: 0 });
  expect(GET_VALUES_RESULT).toBe(10);
  expect(END_REQUEST).toBe(3);
});
