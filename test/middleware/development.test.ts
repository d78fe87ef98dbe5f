import { describe, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { development } from "../../src/middleware/development.js";
import { inject } from "../../src/testing/inject.js";

const ok: Application = (_e, start) => {
  start("200 OK", [["Content-Type", "text/plain"]]);
  return [Buffer.from("fine")];
};

const COMBINED = /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/x HTTP\/1\.1" (\d{3}) (\d+) "-" "-"\n$/m;

describe("development(app)", () => {
  test("a working app: untouched, one combined line on tsgi.errors", async () => {
    const res = await inject(development(ok), { url: "/x" });
    expect(res.text()).toBe("fine");
    expect(COMBINED.exec(res.errors)?.slice(1)).toEqual(["200", "4"]);
  });

  test("an error: the debug page with the stack, logged as a 500 with the page's bytes", async () => {
    const failing: Application = () => {
      throw new Error("kaput <here>");
    };
    const res = await inject(development(failing), { url: "/x", headers: { Cookie: "s=1" } });
    expect(res.statusCode).toBe(500);
    expect(res.text()).toContain("Error: kaput &lt;here&gt;");
    expect(res.text()).toContain("<th>HTTP_COOKIE</th><td>[redacted]</td>");
    expect(COMBINED.exec(res.errors)?.slice(1)).toEqual(["500", String(res.body.length)]);
  });

  test("a contract slip is caught by the validator and shown", async () => {
    const sloppy: Application = (_e, start) => {
      start("200 OK", []);
      return ["a string, not bytes" as unknown as Uint8Array];
    };
    const res = await inject(development(sloppy), { url: "/x" });
    expect(res.statusCode).toBe(500);
    expect(res.text()).toContain("validator: body chunk #0 got");
  });

  test("accessLog: false leaves the log out", async () => {
    const res = await inject(development(ok, { accessLog: false }), { url: "/x" });
    expect(res.errors).toBe("");
  });
});
