import { describe, expect, it } from "vitest";
import { Stdin } from "../../../src/frontends/cgi/stdin.js";

/** A stdin that yields `chunks`, then ends, or (with `hang`) waits forever. */
function source(chunks: number[], hang = false) {
  const taken: number[] = [];
  let opened = 0;
  const open = () => {
    opened++;
    return (async function* () {
      for (const size of chunks) {
        taken.push(size);
        yield new Uint8Array(size);
      }
      if (hang) await new Promise(() => {});
    })();
  };
  return { open, taken, opened: () => opened };
}

describe("CGI stdin", () => {
  it("is opened only when read", async () => {
    const s = source([3]);
    const stdin = new Stdin(s.open);
    expect(s.opened()).toBe(0);
    expect((await stdin.next()).value).toHaveLength(3);
    expect(s.opened()).toBe(1);
  });

  it("discards what the app left of the body, up to CONTENT_LENGTH and no further", async () => {
    const s = source([4, 4, 4, 4]);
    const stdin = new Stdin(s.open);
    await stdin.next(); // the app read 4 bytes of 12
    await stdin.discardRest(12);
    expect(s.taken).toEqual([4, 4, 4]);
  });

  it("stops at the end of a body shorter than CONTENT_LENGTH", async () => {
    const s = source([5]);
    const stdin = new Stdin(s.open);
    await stdin.discardRest(100);
    expect(s.taken).toEqual([5]);
  });

  it("gives up when no byte comes for the idle time", async () => {
    const s = source([2], true);
    const stdin = new Stdin(s.open);
    const started = Date.now();
    await stdin.discardRest(100, 50);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(s.taken).toEqual([2]);
  });
});
