import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  encodeBeginRequest,
  encodeRecord,
  FCGI_KEEP_CONN,
  RecordType,
  Role,
} from "../../src/protocol/fastcgi.js";
import { cgiParams, FcgiClient } from "../helpers/fastcgi-client.js";
import { concat, pair, record } from "../helpers/fastcgi-records.js";
import { describeIntegration, freePort, need, waitFor } from "../helpers/integration.js";

const MAIN = "dist/cli/main.js";

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

describeIntegration(
  "abuse against a live tsgi fcgi process",
  [need("dist/cli/main.js (npm run build)", existsSync(MAIN))],
  () => {
    let child: ChildProcess;
    let stderr = "";
    let address = "";

    beforeAll(async () => {
      const port = await freePort();
      address = `127.0.0.1:${port}`;
      child = spawn(
        process.execPath,
        [MAIN, "fcgi", "examples/hello.mjs", "--listen", address, "--max-params-bytes", "65536"],
        {
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      child.stderr!.on("data", (d) => (stderr += d));
      await waitFor(() => stderr.includes("tsgi: FastCGI on"), 10_000, "tsgi to listen");
    });
    afterAll(() => {
      child.kill("SIGKILL");
    });

    async function abuse(bytes: Uint8Array): Promise<void> {
      const c = await FcgiClient.connect(address);
      c.send(bytes);
      await Promise.race([c.closed, new Promise((r) => setTimeout(r, 300))]);
      c.close();
    }

    test("malformed records on several connections, each closed with one log line", async () => {
      const before = stderr.split("\n").length;
      await Promise.all([
        abuse(record(RecordType.BEGIN_REQUEST, 1, [0, 1, 1, 0, 0, 0, 0, 0], undefined, 9)),
        abuse(record(RecordType.BEGIN_REQUEST, 0, [0, 1, 1, 0, 0, 0, 0, 0])),
        abuse(
          concat(
            record(RecordType.BEGIN_REQUEST, 2, [0, 1, 1, 0, 0, 0, 0, 0]),
            record(RecordType.PARAMS, 2, pair("A\0B", "c")),
            record(RecordType.PARAMS, 2),
          ),
        ),
        abuse(
          concat(
            record(RecordType.BEGIN_REQUEST, 7, [0, 1, 1, 0, 0, 0, 0, 0]),
            record(RecordType.STDOUT, 7, "who am I"),
          ),
        ),
      ]);
      await waitFor(() => stderr.split("\n").length - before >= 4, 2000, "four log lines");
      expect(stderr).toMatch(/unsupported version 9/);
      expect(stderr).toMatch(/request id 0/);
      expect(stderr).toMatch(/NUL/);
      expect(stderr).toMatch(/STDOUT record for request 7: not expected from a web server/);
    });

    test("a flood of BEGIN_REQUESTs without PARAMS gets OVERLOADED past the per-connection cap", async () => {
      const c = await FcgiClient.connect(address);
      const begins = Array.from({ length: 500 }, (_, i) =>
        encodeBeginRequest(i + 1, Role.RESPONDER, FCGI_KEEP_CONN),
      );
      c.send(Buffer.concat(begins));
      await waitFor(
        () => c.records.filter((r) => r.type === RecordType.END_REQUEST).length >= 500 - 64,
        5000,
        "OVERLOADED answers",
      );
      expect(c.records.every((r) => r.type === RecordType.END_REQUEST && r.content[4] === 2)).toBe(
        true,
      );
      // Logged, but not 436 times: one line a second at most.
      const lines = stderr.match(/refused with FCGI_OVERLOADED/g) ?? [];
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(2);
      c.close();
    });

    test("a huge PARAMS gets 431 at the limit, the rest is ignored, the connection goes on", async () => {
      const c = await FcgiClient.connect(address);
      const refused = c.response(1);
      c.send(encodeBeginRequest(1, Role.RESPONDER, FCGI_KEEP_CONN));
      const chunk = encodeRecord(RecordType.PARAMS, 1, Buffer.alloc(60_000, 0x41));
      for (let i = 0; i < 50; i++) c.send(chunk);
      c.send(encodeRecord(RecordType.PARAMS, 1, new Uint8Array(0)));
      c.send(encodeRecord(RecordType.STDIN, 1, new Uint8Array(0)));
      expect((await refused).stdout.toString("latin1")).toMatch(/^Status: 431 /);
      await waitFor(() => /maxParamsBytes/.test(stderr), 2000, "the maxParamsBytes log line");
      expect((await c.request(2, cgiParams("/"))).stdout.length).toBeGreaterThan(0);
      c.close();
    });

    test("random garbage on many connections", async () => {
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const junk = Buffer.alloc(200 + i * 50);
          for (let j = 0; j < junk.length; j++) junk[j] = random();
          if (i % 2 === 0) junk[0] = 1;
          return abuse(junk);
        }),
      );
    });

    // Every 8-byte record of an unknown type gets a 16-byte UNKNOWN_TYPE answer (§4.2). A peer
    // that floods them and never reads used to make tsgi queue every answer: 24 MiB of records
    // took its RSS past 1.3 GB. Now it stops reading at 8 MiB of unsent output.
    test("a flood of records from a peer that reads nothing does not grow memory", async () => {
      const [host, port] = address.split(":");
      const raw = connect(Number(port), host);
      await once(raw, "connect");
      raw.pause();
      const unknown = record(20, 0);
      const count = 3 * 1024 * 1024;
      const flood = Buffer.alloc(count * unknown.length);
      for (let at = 0; at < flood.length; at += unknown.length) flood.set(unknown, at);
      raw.write(flood);
      let peak = 0;
      for (let i = 0; i < 20; i++) {
        peak = Math.max(peak, rssMiB(child.pid!));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(peak).toBeLessThan(300);
      let received = 0;
      raw.on("data", (chunk: Buffer) => (received += chunk.length));
      raw.resume();
      await waitFor(() => received === count * 16, 20_000, "every UNKNOWN_TYPE answer");
      raw.destroy();
    });

    test("afterwards a normal request on a new connection succeeds and the process is alive", async () => {
      const c = await FcgiClient.connect(address);
      const res = await c.request(1, cgiParams("/"));
      expect(res.body.toString()).toBe("Hello, world!\n");
      const values = await c.getValues(["FCGI_MPXS_CONNS"]);
      expect(values).toEqual([["FCGI_MPXS_CONNS", "1"]]);
      c.close();
      expect(child.exitCode).toBeNull();
      expect(stderr).not.toMatch(/unexpected error|Uncaught|at .*\.js:\d+/);
    });
  },
);
