import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { Application } from "../../../../src/core/types.js";
import { cgiParams } from "../../../helpers/fastcgi-client.js";
import { tempDirs, waitFor } from "../../../helpers/integration.js";
import { hello, sleep, start, text } from "../setup.js";

const dirs = tempDirs("tsgi-slow-");

function slowLogFile(): string {
  return join(dirs.make(), "slow.log");
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Blocks the event loop: the slow log must name this function. */
function spinForever(ms: number): number {
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) n++;
  return n;
}

const routes: Application = async (environ, startResponse) => {
  if (environ.PATH_INFO === "/spin") spinForever(1500);
  if (environ.PATH_INFO === "/wait") await sleep(700);
  if (environ.PATH_INFO === "/burn") spinForever(200);
  if (environ.PATH_INFO === "/idle") await sleep(300);
  return hello(environ, startResponse);
};

describe("status and ping pages", () => {
  test("counts the requests served, answers ?json&full, and is not counted itself", async () => {
    const { client } = await start(routes, { statusPath: "/tsgi-status", pingPath: "/ping" });
    const c = await client();
    for (let id = 1; id <= 5; id++) {
      const res = await c.request(id, cgiParams("/x", { REQUEST_URI: `/x?n=${id}` }), {
        keepConn: true,
      });
      expect(res.status).toBe("200 OK");
    }
    const ping = await c.request(6, cgiParams("/ping"), { keepConn: true });
    expect(ping.body.toString()).toBe("pong\n");
    const page = await c.request(7, cgiParams("/tsgi-status", { QUERY_STRING: "json&full" }), {
      keepConn: true,
    });
    expect(page.headers).toContainEqual(["Content-Type", "application/json"]);
    const json = JSON.parse(page.body.toString());
    expect(json).toMatchObject({
      pool: "tsgi",
      "process manager": "static",
      "accepted conn": 5,
      "active processes": 0,
      "idle processes": 1,
      "total processes": 1,
      "max active processes": 1,
    });
    expect(json.processes[0]).toMatchObject({
      pid: process.pid,
      state: "Idle",
      requests: 5,
      "request method": "GET",
      "request uri": "/x?n=5",
    });
    const textPage = await c.request(8, cgiParams("/tsgi-status"), { keepConn: true });
    // Both fields, each on its own line (one alternation would pass with either).
    expect(textPage.body.toString()).toMatch(/^pool: +tsgi$/m);
    expect(textPage.body.toString()).toMatch(/^process manager: +static$/m);
  });

  test("a request in flight shows as Running with its URI", async () => {
    const { client } = await start(routes, { statusPath: "/status" });
    const c = await client();
    const slow = c.request(1, cgiParams("/wait", { REQUEST_METHOD: "POST" }), {
      keepConn: true,
      body: text("abc"),
    });
    await sleep(100);
    const page = await c.request(2, cgiParams("/status", { QUERY_STRING: "json&full" }), {
      keepConn: true,
    });
    const json = JSON.parse(page.body.toString());
    expect(json["active processes"]).toBe(1);
    expect(json.processes[0]).toMatchObject({ state: "Running", "request method": "POST" });
    expect(json.processes[0]["request duration"]).toBeGreaterThan(0);
    await slow;
  });

  test("last request cpu: near 100 for a request that computes, near 0 for one that waits", async () => {
    const { client } = await start(routes, { statusPath: "/status" });
    const c = await client();
    const lastRequest = async (path: string, id: number) => {
      await c.request(id, cgiParams(path), { keepConn: true });
      const page = await c.request(id + 1, cgiParams("/status", { QUERY_STRING: "json&full" }), {
        keepConn: true,
      });
      return JSON.parse(page.body.toString()).processes[0];
    };
    const burn = await lastRequest("/burn", 1);
    expect(burn["request duration"]).toBeGreaterThan(190_000); // µs, to the microsecond
    expect(burn["last request cpu"]).toBeGreaterThan(30);
    const idle = await lastRequest("/idle", 3);
    expect(idle["request duration"]).toBeGreaterThan(290_000);
    expect(idle["last request cpu"]).toBeLessThan(30);
  });

  test("without ops options the app is served unwrapped (the status path reaches the app)", async () => {
    const { client } = await start(hello);
    const c = await client();
    const res = await c.request(1, cgiParams("/tsgi-status"));
    expect(res.body.toString()).toBe("Hello, world!\n");
  });
});

describe("slow log", () => {
  test("a request slow while the loop runs is logged once, with method, URI, pid", async () => {
    const file = slowLogFile();
    const { client } = await start(routes, { slowLogMs: 300, slowLogFile: file, statusPath: "/s" });
    const c = await client();
    await c.request(1, cgiParams("/wait", { REQUEST_URI: "/wait?a=1" }), { keepConn: true });
    await waitFor(() => read(file).includes("slow request"), 5000, "a slow-log entry");
    const log = read(file);
    expect(log).toMatch(
      new RegExp(
        `^\\[\\d{4}-\\d\\d-\\d\\dT[^\\]]+\\] slow request: pid ${process.pid}, GET /wait\\?a=1, running for 0\\.\\d+ s\\n$`,
      ),
    );
    const page = await c.request(2, cgiParams("/s", { QUERY_STRING: "json" }), { keepConn: true });
    expect(JSON.parse(page.body.toString())["slow requests"]).toBe(1);
  });

  test("a blocked event loop: the entry carries the stack naming the blocking function", async () => {
    const file = slowLogFile();
    const { client } = await start(routes, { slowLogMs: 400, slowLogFile: file });
    const c = await client();
    await c.request(1, cgiParams("/spin", { REQUEST_URI: "/spin" }), { keepConn: true });
    await waitFor(() => read(file).includes("at spinForever"), 5000, "the stack");
    const log = read(file);
    expect(log).toMatch(
      /slow request: pid \d+, GET \/spin \(running [\d.]+ s\), event loop blocked for [\d.]+ s\n/,
    );
    expect(log).toMatch(/ {4}at spinForever \(.*ops\.test\.ts:\d+:\d+\)/);
    // The watchdog logged it; the sweep does not log the same request again.
    await sleep(300);
    expect(read(file).match(/slow request/g)).toHaveLength(1);
  });
});
