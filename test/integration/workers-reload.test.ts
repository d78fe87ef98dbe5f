/**
 * Issue 10 §5: SIGHUP rolling reloads under load behind a real nginx, with upstream keep-alive
 * (`keepalive` + `fastcgi_keep_conn on`) and without: zero failed requests, and after each
 * reload only the new version answers; broken code: zero failed, the old version answers.
 */
import { afterEach, expect, test } from "vitest";
import { cliBuilt } from "../fixtures/fastcgi/harness.js";
import { describeIntegration, need } from "../helpers/integration.js";
import {
  type LoadRequest,
  type LoadResult,
  runLoad,
  summary,
  upstreamErrors,
} from "../helpers/load.js";
import { NGINX } from "../helpers/nginx.js";
import { startWorkersSite, type WorkersSite } from "../helpers/tsgi-workers.js";

const BODY = new Uint8Array(8 * 1024).fill(97);
let site: WorkersSite | null = null;

afterEach(async () => {
  await site?.stop();
  site = null;
});

/** Half GETs of /version, half POSTs of 8 KiB to /echo; any of `versions` may answer. */
function mixed(versions: () => string[]): (i: number) => LoadRequest {
  return (i) => {
    const post = i % 2 === 1;
    // What may answer is decided when the request starts: one in flight in an old worker
    // during a reload may still get the old version.
    const allowed = versions();
    return {
      method: post ? "POST" : "GET",
      path: post ? "/echo" : "/version",
      body: post ? BODY : undefined,
      check: (_status, body) => {
        const [version, length] = body.toString().trim().split(" ");
        if (!allowed.includes(version)) return `version ${version}, expected ${allowed}`;
        if (post && length !== String(BODY.length)) return `echoed ${length} bytes`;
        return null;
      },
    };
  };
}

async function onlyVersion(port: number, version: string): Promise<void> {
  const result = await runLoad({
    port,
    connections: 8,
    requests: 64,
    deadlineMs: 30_000,
    request: mixed(() => [version]),
  });
  expect(result.failures).toEqual([]);
  expect(result.ok).toBe(64);
}

function expectZeroFailed(result: LoadResult, nginxLog: string): void {
  expect(result.failures).toEqual([]);
  expect(result.failed).toBe(0);
  expect(upstreamErrors(nginxLog)).toEqual([]);
}

describeIntegration(
  "tsgi fcgi --workers: SIGHUP reload behind nginx",
  [need("nginx", NGINX), need("a built tsgi (npm run build)", cliBuilt())],
  () => {
    test.each([
      ["upstream keep-alive", true],
      ["a connection per request", false],
    ])(
      "%s: four reloads under load, zero failed, then only the new version",
      async (_name, keepAlive) => {
        site = await startWorkersSite({ keepAlive, args: ["--workers", "2"] });
        const s = site;
        let allowed = ["v0"];
        const stop = new AbortController();
        const load = runLoad({
          port: s.nginx.port,
          connections: 32,
          requests: 100_000,
          deadlineMs: 150_000,
          request: mixed(() => allowed),
          signal: stop.signal,
        });
        try {
          for (let n = 1; n <= 4; n++) {
            await new Promise((r) => setTimeout(r, 500));
            allowed = [`v${n - 1}`, `v${n}`];
            s.writeApp(`v${n}`);
            s.master.kill("SIGHUP");
            await s.waitForLog(/reload \(generation \d+\) done/, n, 90_000);
            allowed = [`v${n}`];
            // Old workers may still finish requests they had: check after they are gone.
            await onlyVersion(s.nginx.port, `v${n}`);
          }
        } finally {
          stop.abort();
        }
        const result = await load;
        process.stderr.write(`${summary(`reload x4, ${_name}`, result)}\n`);
        expect(result.ok).toBeGreaterThan(100);
        if (keepAlive) {
          // nginx's idle cached connections moved to the new workers instead of closing.
          const handed = [...s.log().matchAll(/drained; (\d+) idle connection/g)].map((m) =>
            Number(m[1]),
          );
          expect(handed.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        }
        expectZeroFailed(result, s.nginx.errorLog());
      },
      240_000,
    );

    test("broken code: the reload stops, zero failed, the old version keeps answering", async () => {
      site = await startWorkersSite({ args: ["--workers", "2"] });
      const s = site;
      const stop = new AbortController();
      const load = runLoad({
        port: s.nginx.port,
        connections: 32,
        requests: 100_000,
        deadlineMs: 60_000,
        request: mixed(() => ["v0"]),
        signal: stop.signal,
      });
      try {
        await new Promise((r) => setTimeout(r, 500));
        s.writeApp("v1", true);
        s.master.kill("SIGHUP");
        await s.waitForLog(/reload \(generation 1\) failed/, 1, 60_000);
        expect(s.log()).toMatch(/old workers keep serving: .*broken v1/);
        await onlyVersion(s.nginx.port, "v0");
      } finally {
        stop.abort();
      }
      const result = await load;
      process.stderr.write(`${summary("reload with broken code", result)}\n`);
      expectZeroFailed(result, s.nginx.errorLog());
    }, 120_000);
  },
);
