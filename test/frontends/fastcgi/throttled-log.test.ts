import { expect, test } from "vitest";
import { ThrottledLog } from "../../../src/frontends/fastcgi/throttled-log.js";

test("one line a second at most; the next line counts the ones held back", () => {
  const lines: string[] = [];
  const log = new ThrottledLog((line) => lines.push(line), 1000);
  for (const [now, text] of [
    [0, "a"],
    [10, "b"],
    [999, "c"],
    [1000, "d"],
    [1500, "e"],
    [3000, "f"],
  ] as const) {
    log.line(now, text);
  }
  expect(lines).toEqual([
    "a",
    "d (and 2 more since the last such line)",
    "f (and 1 more since the last such line)",
  ]);
});
