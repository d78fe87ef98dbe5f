import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  isRange,
  multipartLayout,
  sliceStream,
} from "../../../src/middleware/http/multipart-byteranges.js";
import { coalesce } from "../../../src/middleware/http/range.js";

const DATA = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 13 + 1) & 0xff));

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** DATA cut into chunks at the given offsets. */
function* chunked(cuts: number[]): Generator<Uint8Array> {
  const points = [
    ...new Set([0, ...cuts.filter((c) => c > 0 && c < DATA.length), DATA.length]),
  ].sort((a, b) => a - b);
  for (let i = 1; i < points.length; i++) yield DATA.subarray(points[i - 1], points[i]);
}

describe("multipartLayout (RFC 9110 §14.6)", () => {
  test("frames parts as nginx does and counts its own length", async () => {
    const layout = multipartLayout(
      [
        { start: 0, end: 1 },
        { start: 10, end: 12 },
      ],
      300,
      "text/plain",
      "B",
    );
    expect(layout.contentType).toBe("multipart/byteranges; boundary=B");
    const body = await collect(sliceStream(chunked([]), layout.segments));
    expect(body.length).toBe(layout.length);
    expect(body.toString("latin1")).toBe(
      "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/300\r\n\r\n" +
        DATA.subarray(0, 2).toString("latin1") +
        "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 10-12/300\r\n\r\n" +
        DATA.subarray(10, 13).toString("latin1") +
        "\r\n--B--\r\n",
    );
  });
});

describe("sliceStream", () => {
  test("property: any chunking, any ascending disjoint ranges -> exactly those bytes", async () => {
    const rangeArb = fc
      .tuple(fc.integer({ min: 0, max: 299 }), fc.integer({ min: 0, max: 299 }))
      .map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(rangeArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 20 }),
        async (ranges, cuts) => {
          const ascending = coalesce(ranges).sort((a, b) => a.start - b.start);
          const layout = multipartLayout(ascending, DATA.length, undefined, "X");
          const got = await collect(sliceStream(chunked(cuts), layout.segments));
          const want = Buffer.concat(
            layout.segments.map((s) => (isRange(s) ? DATA.subarray(s.start, s.end + 1) : s)),
          );
          expect(got.equals(want)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("stops reading the source after the last range", async () => {
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield DATA.subarray(i * 3, i * 3 + 3);
      }
    }
    const got = await collect(sliceStream(source(), [{ start: 4, end: 5 }]));
    expect(got.equals(DATA.subarray(4, 6))).toBe(true);
    expect(pulled).toBe(2);
  });
});
