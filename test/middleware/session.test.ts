import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Application, Environ } from "../../src/core/types.js";
import { type SessionOptions, session } from "../../src/middleware/session.js";
import type { Session } from "../../src/middleware/session-object.js";
import { MemoryStore } from "../../src/middleware/session-store.js";
import { inject } from "../../src/testing/inject.js";

/** An app that runs `act` on the session, then answers with the session's data as JSON. */
function app(act: (s: Session, environ: Environ) => void = () => {}): Application {
  return (environ, start) => {
    const s = environ["tsgi.session"] as Session;
    act(s, environ);
    // Used before startResponse: that is when Vary and Set-Cookie are decided.
    const json = JSON.stringify(s.toJSON());
    start("200 OK", [["Content-Type", "application/json"]]);
    return [Buffer.from(json)];
  };
}

/** An app that does not touch the session at all. */
const untouched: Application = (_environ, start) => {
  start("200 OK", [["Content-Type", "text/plain"]]);
  return [Buffer.from("hi")];
};

let clock = 1_700_000_000_000;
const now = () => clock;
const base: SessionOptions = { secrets: ["s3cret-one"], now };

function setCookies(res: { headers: Array<[string, string]> }): string[] {
  return res.headers.filter(([n]) => n.toLowerCase() === "set-cookie").map(([, v]) => v);
}

/** The `name=value` part of the response's session cookie. */
function cookieOf(res: { headers: Array<[string, string]> }): string {
  const [cookie] = setCookies(res);
  expect(cookie).toBeDefined();
  return cookie.split(";")[0];
}

async function login(
  options: SessionOptions = base,
  data: Record<string, unknown> = { user: "ada" },
) {
  const res = await inject(
    session(
      app((s) => {
        for (const [k, v] of Object.entries(data)) s.set(k, v);
      }),
      options,
    ),
  );
  return cookieOf(res);
}

async function read(cookie: string | undefined, options: SessionOptions = base) {
  const res = await inject(session(app(), options), { headers: cookie ? { Cookie: cookie } : {} });
  return { res, data: res.json() as Record<string, unknown> };
}

describe("session: signed cookies", () => {
  test("a value set in one request is there in the next", async () => {
    const cookie = await login();
    expect((await read(cookie)).data).toEqual({ user: "ada" });
  });

  test("the cookie is HttpOnly, SameSite=Lax, Path=/, with Max-Age and Expires", async () => {
    const res = await inject(
      session(
        app((s) => s.set("a", 1)),
        base,
      ),
    );
    const [cookie] = setCookies(res);
    expect(cookie).toMatch(
      /^session=[\w-]+\.[\w-]+; Max-Age=1209600; Path=\/; Expires=.+; HttpOnly; SameSite=Lax$/,
    );
    expect(cookie).not.toMatch(/Secure/);
  });

  test("Secure on https (tsgi.url_scheme), and always for a __Host- name", async () => {
    const https = await inject(
      session(
        app((s) => s.set("a", 1)),
        base,
      ),
      { environ: { "tsgi.url_scheme": "https" } },
    );
    expect(setCookies(https)[0]).toMatch(/; Secure/);
    const host = await inject(
      session(
        app((s) => s.set("a", 1)),
        { ...base, name: "__Host-sid" },
      ),
    );
    expect(setCookies(host)[0]).toMatch(/^__Host-sid=.*; Path=\/;.*; Secure/);
  });

  test("a __Host- name with a Domain, another Path or secure: false is refused at startup", () => {
    expect(() => session(untouched, { ...base, name: "__Host-s", domain: "example.com" })).toThrow(
      /__Host-/,
    );
    expect(() => session(untouched, { ...base, name: "__Host-s", path: "/app" })).toThrow(
      /__Host-/,
    );
    expect(() => session(untouched, { ...base, name: "__Host-s", secure: false })).toThrow(
      /Secure/,
    );
    expect(() => session(untouched, { secrets: [] })).toThrow(/secrets/);
  });

  test("no Set-Cookie and no Vary when the app does not touch the session", async () => {
    const cookie = await login();
    for (const headers of [{}, { Cookie: cookie }] as Array<Record<string, string>>) {
      const res = await inject(session(untouched, base), { headers });
      expect(setCookies(res)).toEqual([]);
      expect(res.header("vary")).toBeUndefined();
    }
  });

  test("reading gives Vary: Cookie but no Set-Cookie; an existing Vary is extended", async () => {
    const cookie = await login();
    const { res } = await read(cookie);
    expect(res.header("vary")).toBe("Cookie");
    expect(setCookies(res)).toEqual([]);
    const withVary: Application = (environ, start) => {
      (environ["tsgi.session"] as Session).get("user");
      start("200 OK", [["Vary", "Accept-Encoding"]]);
      return [];
    };
    const res2 = await inject(session(withVary, base), { headers: { Cookie: cookie } });
    expect(res2.header("vary")).toBe("Accept-Encoding, Cookie");
  });

  test("a new session that stays empty sets no cookie", async () => {
    const res = await inject(
      session(
        app((s) => s.get("x")),
        base,
      ),
    );
    expect(setCookies(res)).toEqual([]);
  });

  test("a nested change is saved (compared by value, not by set())", async () => {
    const cookie = await login(base, { cart: [1] });
    const res = await inject(
      session(
        app((s) => (s.get("cart") as number[]).push(2)),
        base,
      ),
      { headers: { Cookie: cookie } },
    );
    expect((await read(cookieOf(res))).data).toEqual({ cart: [1, 2] });
  });

  test("Set-Cookie is added for a lazily started response too", async () => {
    const lazyApp: Application = (environ, start) => ({
      *[Symbol.iterator]() {
        (environ["tsgi.session"] as Session).set("lazy", true);
        start("200 OK", []);
        yield Buffer.from("x");
      },
    });
    const res = await inject(session(lazyApp, base));
    expect((await read(cookieOf(res))).data).toEqual({ lazy: true });
  });
});

describe("session: a bad cookie gives an empty session", () => {
  test.each([
    ["garbage", "session=garbage"],
    ["no signature", "session=eyJpIjoxfQ"],
    ["empty", "session="],
    ["bad base64", "session=%%%.%%%"],
  ])("%s", async (_, cookie) => {
    const { data, res } = await read(cookie);
    expect(data).toEqual({});
    expect(res.statusCode).toBe(200);
  });

  test("any flipped byte of a valid cookie gives an empty session (fast-check)", async () => {
    const cookie = await login();
    const value = cookie.slice("session=".length);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(value.length - 1),
        fc.integer({ min: 1, max: 255 }),
        async (index, flip) => {
          const bytes = Buffer.from(value, "latin1");
          bytes[index] ^= flip;
          const tampered = bytes.toString("latin1");
          // Only the bytes a Cookie header can carry reach the app (RFC 6265 §4.2.1).
          fc.pre(/^[\x21-\x7e]*$/.test(tampered) && !/[;,"\\]/.test(tampered));
          const { data } = await read(`session=${tampered}`);
          expect(data).toEqual({});
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a cookie signed for another cookie name does not verify (the key covers the name)", async () => {
    const cookie = await login({ ...base, name: "other" });
    const foreign = `session=${cookie.slice("other=".length)}`;
    expect((await read(foreign)).data).toEqual({});
  });

  test("a cookie signed with an unknown secret does not verify", async () => {
    const cookie = await login({ ...base, secrets: ["someone-else"] });
    expect((await read(cookie)).data).toEqual({});
  });
});

describe("session: expiry, inside the signature", () => {
  test("absolute maxAge: valid before, empty after, whatever the activity", async () => {
    const options = { ...base, maxAge: 100, idleTimeout: 50 };
    const start = clock;
    let cookie = await login(options);
    for (const t of [40, 80]) {
      clock = start + t * 1000; // each request within the idle timeout, re-writing the cookie
      const res = await inject(
        session(
          app((s) => s.set("t", t)),
          options,
        ),
        { headers: { Cookie: cookie } },
      );
      cookie = cookieOf(res);
    }
    clock = start + 99_000;
    expect((await read(cookie, options)).data).toEqual({ user: "ada", t: 80 });
    clock = start + 100_000;
    expect((await read(cookie, options)).data).toEqual({});
    clock = start;
  });

  test("idle timeout: a used session is re-written after touchAfter and lives on", async () => {
    const options = { ...base, idleTimeout: 60, touchAfter: 10 };
    const start = clock;
    let cookie = await login(options);
    clock = start + 5_000;
    expect(setCookies((await read(cookie, options)).res)).toEqual([]); // not yet due
    clock = start + 50_000;
    const touched = await read(cookie, options);
    cookie = cookieOf(touched.res);
    clock = start + 100_000; // 100 s after login, 50 s after the touch
    expect((await read(cookie, options)).data).toEqual({ user: "ada" });
    clock = start + 111_000; // 61 s idle
    expect((await read(cookie, options)).data).toEqual({});
    clock = start;
  });

  test("an untouched request does not renew an idle session", async () => {
    const options = { ...base, idleTimeout: 60 };
    const start = clock;
    const cookie = await login(options);
    clock = start + 59_000;
    expect(
      setCookies(await inject(session(untouched, options), { headers: { Cookie: cookie } })),
    ).toEqual([]);
    clock = start + 60_000;
    expect((await read(cookie, options)).data).toEqual({});
    clock = start;
  });

  test("a cookie issued in the future is refused", async () => {
    const start = clock;
    clock = start + 3_600_000;
    const cookie = await login();
    clock = start;
    expect((await read(cookie)).data).toEqual({});
  });
});

describe("session: key rotation", () => {
  test("an old secret still verifies, and the cookie is re-signed with the first", async () => {
    const old = await login({ ...base, secrets: ["old-secret"] });
    const rotated = { ...base, secrets: ["new-secret", "old-secret"] };
    const { res, data } = await read(old, rotated);
    expect(data).toEqual({ user: "ada" });
    const fresh = cookieOf(res);
    expect(fresh).not.toBe(old);
    expect((await read(fresh, { ...base, secrets: ["new-secret"] })).data).toEqual({ user: "ada" });
    expect((await read(old, { ...base, secrets: ["new-secret"] })).data).toEqual({});
  });

  test("a cookie signed by the first secret is not re-written", async () => {
    const cookie = await login({ ...base, secrets: ["a-secret", "b-secret"] });
    expect(
      setCookies((await read(cookie, { ...base, secrets: ["a-secret", "b-secret"] })).res),
    ).toEqual([]);
  });
});

describe("session: size limit", () => {
  test("a cookie over 4096 bytes is a 500 before any header, with the size and the limit logged", async () => {
    const res = await inject(
      session(
        app((s) => s.set("big", "x".repeat(4000))),
        base,
      ),
    );
    expect(res.statusCode).toBe(500);
    expect(setCookies(res)).toEqual([]);
    expect(res.errors).toMatch(
      /session cookie "session" is \d+ bytes, over the limit of 4096 bytes/,
    );
  });

  test("the app can catch the SessionError at startResponse and answer otherwise", async () => {
    const catching: Application = (environ, start) => {
      (environ["tsgi.session"] as Session).set("big", "x".repeat(5000));
      try {
        start("200 OK", []);
      } catch (err) {
        (environ["tsgi.session"] as Session).delete("big");
        start("413 Content Too Large", [], err);
      }
      return [];
    };
    const res = await inject(session(catching, base));
    expect(res.statusCode).toBe(413);
  });

  test("a cookie just under the limit is sent", async () => {
    const res = await inject(
      session(
        app((s) => s.set("big", "x".repeat(2800))),
        base,
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(setCookies(res)[0].length).toBeLessThanOrEqual(4096);
  });
});

describe("session: regenerate and destroy", () => {
  test("destroy() removes the cookie and empties the session", async () => {
    const cookie = await login();
    const res = await inject(
      session(
        app((s) => s.destroy()),
        base,
      ),
      { headers: { Cookie: cookie } },
    );
    expect(res.json()).toEqual({});
    expect(setCookies(res)[0]).toMatch(
      /^session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
    );
  });

  test("destroy() without an incoming cookie sends nothing", async () => {
    const res = await inject(
      session(
        app((s) => s.destroy()),
        base,
      ),
    );
    expect(setCookies(res)).toEqual([]);
  });

  test("regenerate() keeps the data under a new issue time", async () => {
    const start = clock;
    const options = { ...base, maxAge: 100 };
    const cookie = await login(options);
    clock = start + 90_000;
    const res = await inject(
      session(
        app((s) => s.regenerate()),
        options,
      ),
      { headers: { Cookie: cookie } },
    );
    clock = start + 150_000;
    expect((await read(cookieOf(res), options)).data).toEqual({ user: "ada" });
    clock = start;
  });
});

describe("session: with a store", () => {
  test("the cookie carries an id only; the data is in the store", async () => {
    const store = new MemoryStore(now);
    const options = { ...base, store };
    const cookie = await login(options, { secret: "in-store-only" });
    expect(Buffer.from(cookie.split("=")[1].split(".")[0], "base64url").toString()).not.toMatch(
      /in-store-only/,
    );
    expect(store.size).toBe(1);
    expect((await read(cookie, options)).data).toEqual({ secret: "in-store-only" });
  });

  test("regenerate() moves the data to a new id and destroys the old one", async () => {
    const store = new MemoryStore(now);
    const options = { ...base, store };
    const cookie = await login(options);
    const res = await inject(
      session(
        app((s) => s.regenerate()),
        options,
      ),
      { headers: { Cookie: cookie } },
    );
    const fresh = cookieOf(res);
    expect(fresh).not.toBe(cookie);
    expect(store.size).toBe(1);
    expect((await read(fresh, options)).data).toEqual({ user: "ada" });
    expect((await read(cookie, options)).data).toEqual({});
  });

  test("destroy() removes the store entry and the cookie", async () => {
    const store = new MemoryStore(now);
    const options = { ...base, store };
    const cookie = await login(options);
    const res = await inject(
      session(
        app((s) => s.destroy()),
        options,
      ),
      { headers: { Cookie: cookie } },
    );
    expect(setCookies(res)[0]).toMatch(/Max-Age=0/);
    expect(store.size).toBe(0);
  });

  test("an async store is awaited before the headers go out", async () => {
    const saved = new Map<string, Record<string, unknown>>();
    const order: string[] = [];
    const store = {
      get: async (id: string) => saved.get(id),
      set: async (id: string, data: Record<string, unknown>) => {
        await new Promise((r) => setTimeout(r, 5));
        saved.set(id, structuredClone(data));
        order.push("set");
      },
      destroy: async (id: string) => void saved.delete(id),
    };
    const options = { ...base, store };
    const res = await inject(
      session(
        app((s) => {
          s.set("n", 1);
          order.push("app");
        }),
        options,
      ),
    );
    expect(order).toEqual(["app", "set"]);
    expect((await read(cookieOf(res), options)).data).toEqual({ n: 1 });
  });

  test("a valid cookie whose id the store forgot gives an empty session", async () => {
    const store = new MemoryStore(now);
    const options = { ...base, store };
    const cookie = await login(options);
    const id = [...(store as unknown as { entries: Map<string, unknown> }).entries.keys()][0];
    store.destroy(id);
    expect((await read(cookie, options)).data).toEqual({});
  });
});

describe("session: property access", () => {
  test("session.user = x and session.user read and write the data, like set() and get()", async () => {
    const res = await inject(
      session(
        app((s) => {
          const p = s;
          p.user = "ada";
          p.n = (p.n as number | undefined) ?? 1;
          delete p.nothing;
        }),
        base,
      ),
    );
    expect(res.json()).toEqual({ user: "ada", n: 1 });
    const next = await inject(
      session(
        app((s) => expect(s.user).toBe("ada")),
        base,
      ),
      {
        headers: { Cookie: cookieOf(res) },
      },
    );
    expect(next.header("vary")).toBe("Cookie");
  });

  test("the session looks like a plain object of its data: keys, spread, in, equality", async () => {
    const check = app((s) => {
      s.set("a", 1);
      expect(Object.keys(s)).toEqual(["a"]);
      expect({ ...s }).toEqual({ a: 1 });
      expect("a" in s && !("b" in s)).toBe(true);
      expect(s).toEqual({ a: 1 });
      expect(JSON.parse(JSON.stringify(s))).toEqual({ a: 1 });
    });
    expect((await inject(session(check, base))).statusCode).toBe(200);
  });
});
