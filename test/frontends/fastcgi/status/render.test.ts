import { describe, expect, test } from "vitest";
import { parseStatusQuery, renderStatus } from "../../../../src/frontends/fastcgi/status/render.js";
import type {
  StatusSnapshot,
  WorkerSnapshot,
} from "../../../../src/frontends/fastcgi/status/snapshot.js";
import { countProcesses } from "../../../../src/frontends/fastcgi/status/snapshot.js";

const START = 1_764_900_000; // 2025-12-05T02:00:00Z
const NOW_MS = (START + 90) * 1000;

function worker(pid: number, state: WorkerSnapshot["state"]): WorkerSnapshot {
  return {
    pid,
    state,
    startTime: START + 1,
    requests: 7,
    requestDuration: 1500,
    requestMethod: "POST",
    requestUri: '/form?q="x"',
    contentLength: 12,
    lastRequestMemory: 2048,
    lastRequestCpu: 12.5,
    heartbeatAge: 250,
    eventLoopLag: 3,
    rss: 50_000_000,
    generation: 2,
  };
}

const workers = [worker(101, "Idle"), worker(102, "Running"), worker(103, "Blocked")];
const snapshot: StatusSnapshot = {
  pool: "www",
  processManager: "static",
  startTime: START,
  acceptedConn: 42,
  listenQueue: 1,
  maxListenQueue: 5,
  listenQueueLen: 511,
  ...countProcesses(workers),
  maxActiveProcesses: 3,
  maxChildrenReached: 0,
  slowRequests: 4,
  generation: 2,
  lastReload: { time: START + 60, result: "ok" },
  respawns: 1,
  workers,
};

// hipages/php-fpm_exporter's Pool and PoolProcess JSON tags (phpfpm/phpfpm.go).
const EXPORTER_POOL_KEYS = [
  "pool",
  "process manager",
  "start time",
  "start since",
  "accepted conn",
  "listen queue",
  "max listen queue",
  "listen queue len",
  "idle processes",
  "active processes",
  "total processes",
  "max active processes",
  "max children reached",
  "slow requests",
  "processes",
];
const EXPORTER_PROCESS_KEYS = [
  "pid",
  "state",
  "start time",
  "start since",
  "requests",
  "request duration",
  "request method",
  "request uri",
  "content length",
  "user",
  "script",
  "last request cpu",
  "last request memory",
];

describe("status page formats", () => {
  test.each([
    ["", "text", false],
    ["full", "text", true],
    ["json", "json", false],
    ["json&full", "json", true],
    ["full&json", "json", true],
    ["openmetrics", "openmetrics", false],
    ["openmetrics&full", "openmetrics", true],
    ["html", "text", false],
  ])("query %j -> %s, full %s", (query, format, full) => {
    expect(parseStatusQuery(query)).toEqual({ format, full });
  });

  test("counts processes by state: Running and Blocked are active", () => {
    expect(countProcesses(workers)).toEqual({
      idleProcesses: 1,
      activeProcesses: 2,
      totalProcesses: 3,
    });
  });

  test("text: FPM's names, aligned, start time as FPM prints it, one block per worker", () => {
    const { body, contentType } = renderStatus(snapshot, "text", true, NOW_MS);
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain("pool:                 www\n");
    expect(body).toContain("start time:           05/Dec/2025:02:00:00 +0000\n");
    expect(body).toContain("start since:          90\n");
    expect(body).toContain("accepted conn:        42\n");
    expect(body).toContain("max active processes: 3\n");
    expect(body).toContain("slow requests:        4\n");
    expect(body).toContain("last reload result:   ok\n");
    expect(body.match(/\*{24}\npid: {18}\d+\n/g)).toHaveLength(3);
    expect(body).toContain('request URI:          /form?q="x"\n');
    expect(body).toContain("heartbeat age:        250\n");
    expect(body).toContain("last request cpu:     12.50\n"); // FPM's "%.2f"
  });

  test("json&full: every key the exporter reads, with numbers as numbers", () => {
    const { body, contentType } = renderStatus(snapshot, "json", true, NOW_MS);
    expect(contentType).toBe("application/json");
    const json = JSON.parse(body);
    for (const key of EXPORTER_POOL_KEYS) expect(json).toHaveProperty([key]);
    expect(json["start time"]).toBe(START);
    expect(json["accepted conn"]).toBe(42);
    expect(json.processes).toHaveLength(3);
    for (const p of json.processes) {
      for (const key of EXPORTER_PROCESS_KEYS) expect(p).toHaveProperty([key]);
    }
    expect(json.processes[1]).toMatchObject({
      pid: 102,
      state: "Running",
      "request uri": '/form?q="x"',
      "last request cpu": 12.5,
    });
    expect(json.respawns).toBe(1);
    expect(
      JSON.parse(renderStatus(snapshot, "json", false, NOW_MS).body).processes,
    ).toBeUndefined();
  });

  test("openmetrics: a valid exposition (TYPE before samples, counters as _total, # EOF last)", () => {
    const { body, contentType } = renderStatus(snapshot, "openmetrics", true, NOW_MS);
    expect(contentType).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    const samples = parseOpenMetrics(body);
    expect(samples.get('phpfpm_accepted_connections_total{pool="www"}')).toBe(42);
    expect(samples.get('phpfpm_active_processes{pool="www"}')).toBe(2);
    expect(samples.get('phpfpm_slow_requests_total{pool="www"}')).toBe(4);
    expect(samples.get('tsgi_worker_rss_bytes{pool="www",pid="101"}')).toBe(50_000_000);
    expect(samples.get('tsgi_worker_heartbeat_age_seconds{pool="www",pid="103"}')).toBe(0.25);
  });
});

/** A strict-enough OpenMetrics 1.0 text parser: returns sample -> value, throws on a bad line. */
function parseOpenMetrics(text: string): Map<string, number> {
  expect(text.endsWith("# EOF\n")).toBe(true);
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.slice(0, -"# EOF\n".length).split("\n").filter(Boolean)) {
    const meta = /^# (TYPE|HELP) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        expect(types.has(meta[2])).toBe(false);
        types.set(meta[2], meta[3]);
      }
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+)$/.exec(
        line,
      );
    if (!sample) throw new Error(`not an OpenMetrics line: ${line}`);
    const family = types.has(sample[1]) ? sample[1] : sample[1].replace(/_total$/, "");
    const type = types.get(family);
    if (type === undefined) throw new Error(`sample before its TYPE: ${line}`);
    if (type === "counter") expect(sample[1]).toBe(`${family}_total`);
    samples.set(`${sample[1]}${sample[2] ?? ""}`, Number(sample[3]));
  }
  return samples;
}
