import { describe, expect, test } from "vitest";
import type { Application, Environ } from "../../src/core/types.js";
import { inject } from "../../src/testing/inject.js";

/** Answers with what it saw, as JSON. */
const echo: Application = async (environ, startResponse) => {
  const body = await environ["tsgi.input"].read();
  const seen = {
    method: environ.REQUEST_METHOD,
    path: environ.PATH_INFO,
    query: environ.QUERY_STRING,
    type: environ.CONTENT_TYPE ?? null,
    length: environ.CONTENT_LENGTH ?? null,
    body: Buffer.from(body).toString("latin1"),
    accept: environ.HTTP_ACCEPT ?? null,
    cookie: environ.HTTP_COOKIE ?? null,
    custom: environ.CUSTOM ?? null,
    scheme: environ["tsgi.url_scheme"],
  };
  startResponse("200 OK", [
    ["Content-Type", "application/json"],
    ["Set-Cookie", "a=1"],
    ["Set-Cookie", "b=2"],
  ]);
  return [Buffer.from(JSON.stringify(seen))];
};

describe("inject", () => {
  test("result fields", async () => {
    const result = await inject(echo);
    expect(result.status).toBe("200 OK");
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual([
      ["Content-Type", "application/json"],
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
    ]);
    expect(result.body).toBeInstanceOf(Uint8Array);
    expect(result.errors).toBe("");
    expect(result.outcome).toMatchObject({ kind: "ok", status: "200 OK" });
    expect(result.outcome.bytesSent).toBe(result.body.length);
  });

  test("text(), json() and header()", async () => {
    const result = await inject(echo, { url: "/p%20q?x=1" });
    expect(JSON.parse(result.text())).toEqual(result.json());
    expect(result.json()).toMatchObject({ method: "GET", path: "/p q", query: "x=1" });
    expect(result.header("content-type")).toBe("application/json");
    expect(result.header("CONTENT-TYPE")).toBe("application/json");
    expect(result.header("set-cookie")).toBe("a=1");
    expect(result.header("x-missing")).toBeUndefined();
  });

  test("defaults: GET /, no body", async () => {
    expect((await inject(echo)).json()).toMatchObject({
      method: "GET",
      path: "/",
      query: "",
      type: null,
      length: null,
      body: "",
      scheme: "http",
    });
  });

  test("headers as an object", async () => {
    const result = await inject(echo, { headers: { Accept: "text/html", Cookie: "a=1" } });
    expect(result.json()).toMatchObject({ accept: "text/html", cookie: "a=1" });
  });

  test("headers as pairs, repeated names joined", async () => {
    const result = await inject(echo, {
      headers: [
        ["Cookie", "a=1"],
        ["Cookie", "b=2"],
        ["Accept", "x/y"],
      ],
    });
    expect(result.json()).toMatchObject({ accept: "x/y", cookie: "a=1; b=2" });
  });

  test("a string body is sent as UTF-8 with its Content-Length", async () => {
    const result = await inject(echo, {
      method: "POST",
      body: "h\u00e9",
      headers: { "Content-Type": "text/plain" },
    });
    expect(result.json()).toMatchObject({
      method: "POST",
      type: "text/plain",
      length: "3",
      body: "h\u00c3\u00a9",
    });
  });

  test("a bytes body is sent as is", async () => {
    const result = await inject(echo, { method: "PUT", body: new Uint8Array([0, 255, 10]) });
    expect(result.json()).toMatchObject({ length: "3", body: "\u0000\u00ff\n" });
  });

  test("an explicit Content-Length is kept", async () => {
    const result = await inject(echo, {
      method: "POST",
      body: "abcdef",
      headers: { "content-length": "2" },
    });
    expect(result.json()).toMatchObject({ length: "2", body: "ab" });
  });

  test("environ overrides", async () => {
    const result = await inject(echo, { environ: { CUSTOM: "yes", HTTPS: "on" } });
    expect(result.json()).toMatchObject({ custom: "yes" });
    let seen: Environ | undefined;
    await inject(
      (environ, startResponse) => {
        seen = environ;
        startResponse("204 No Content", []);
        return [];
      },
      { environ: { "tsgi.multithread": true, SERVER_NAME: "example.org" } },
    );
    expect(seen?.["tsgi.multithread"]).toBe(true);
    expect(seen?.SERVER_NAME).toBe("example.org");
  });

  test("errors written by the app and by the core are captured", async () => {
    const result = await inject((environ) => {
      environ["tsgi.errors"].write("app says hi\n");
      throw new Error("kaboom");
    });
    expect(result.statusCode).toBe(500);
    expect(result.errors).toContain("app says hi\n");
    expect(result.errors).toContain("kaboom");
    expect(result.outcome.kind).toBe("error");
    expect(result.text()).not.toContain("kaboom");
  });

  test("a signal that aborts shows up as tsgi.signal", async () => {
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    await inject(
      (environ, startResponse) => {
        signal = environ["tsgi.signal"];
        startResponse("200 OK", []);
        return [];
      },
      { signal: controller.signal },
    );
    expect(signal).toBe(controller.signal);
  });

  test("a response broken after its headers keeps what was sent", async () => {
    const result = await inject((_environ, startResponse) => {
      startResponse("200 OK", []);
      return (function* () {
        yield Buffer.from("part");
        throw new Error("later");
      })();
    });
    expect(result.status).toBe("200 OK");
    expect(result.text()).toBe("part");
    expect(result.outcome.kind).toBe("broken");
  });
});
