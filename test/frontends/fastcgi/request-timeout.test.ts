import { describe, expect, test } from "vitest";
import { LimitError } from "../../../src/core/errors.js";
import type { Application } from "../../../src/core/types.js";
import { resolveLimits } from "../../../src/frontends/fastcgi/limits.js";
import { RecordType } from "../../../src/protocol/fastcgi.js";
import { cgiParams } from "../../helpers/fastcgi-client.js";
import { waitFor } from "../../helpers/integration.js";
import { hello, start, text } from "./setup.js";

/** Never answers (before its head) or never ends (after it), recording the abort. */
function stuckApp(headFirst: boolean) {
  const seen = { closed: 0, reason: undefined as unknown };
  const app: Application = (environ, startResponse) => {
    if (environ.PATH_INFO === "/fast") return hello(environ, startResponse);
    const signal = environ["tsgi.signal"];
    signal.addEventListener("abort", () => {
      seen.reason = signal.reason;
    });
    const body = (async function* () {
      if (headFirst) {
        startResponse("200 OK", [["Content-Type", "text/plain"]]);
        yield text("partial ");
      }
      await new Promise(() => {}); // never settles: only the abort ends it
    })();
    return Object.assign(body, { close: () => void seen.closed++ });
  };
  return { app, seen };
}

describe("requestTimeoutMs", () => {
  test("before the head: 504, tsgi.signal fires, close() runs, the connection stays usable", async () => {
    const { app, seen } = stuckApp(false);
    const { client, logs } = await start(app, { requestTimeoutMs: 200 });
    const c = await client();
    const res = await c.request(1, cgiParams("/stuck"), { keepConn: true });
    expect(res.status).toBe("504 Gateway Timeout");
    expect(res.body.toString()).toBe("Gateway Timeout\n");
    await waitFor(() => seen.closed === 1, 2000, "close()");
    expect(seen.reason).toBeInstanceOf(LimitError);
    expect(logs.join("\n")).toMatch(/request 1: still running after 200 ms \(requestTimeoutMs\)/);
    // The same connection answers the next request.
    const next = await c.request(2, cgiParams("/fast"), { keepConn: true });
    expect(next.body.toString()).toBe("Hello, world!\n");
    expect(c.isClosed).toBe(false);
  });

  test("after the head: the connection closes without END_REQUEST (a broken response)", async () => {
    const { app, seen } = stuckApp(true);
    const { client } = await start(app, { requestTimeoutMs: 200 });
    const c = await client();
    const response = c.request(1, cgiParams("/stuck"), { keepConn: true });
    await expect(response).rejects.toThrow(/connection closed before END_REQUEST/);
    await c.closed;
    expect(c.records.some((r) => r.type === RecordType.END_REQUEST)).toBe(false);
    expect(Buffer.concat(c.records.map((r) => r.content)).toString()).toContain("partial");
    await waitFor(() => seen.closed === 1, 2000, "close()");
  });

  test("requests that finish in time are untouched, and none is aborted without the option", async () => {
    const { app, seen } = stuckApp(false);
    const { client } = await start(app, { requestTimeoutMs: 5000 });
    const c = await client();
    for (let id = 1; id <= 3; id++) {
      const res = await c.request(id, cgiParams("/fast"), { keepConn: true });
      expect(res.status).toBe("200 OK");
    }
    expect(seen.closed).toBe(0);
  });

  test("0 means none; a negative or fractional value is refused", () => {
    expect(resolveLimits({ requestTimeoutMs: 0 }).requestTimeoutMs).toBe(0);
    expect(resolveLimits({}).requestTimeoutMs).toBe(0);
    expect(() => resolveLimits({ requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs/);
    expect(() => resolveLimits({ requestTimeoutMs: 1.5 })).toThrow(/requestTimeoutMs/);
  });
});
