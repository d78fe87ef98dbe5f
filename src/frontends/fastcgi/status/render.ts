/**
 * The status page in PHP-FPM's formats (fpm_status.c): plain text by default, `?json` (what
 * hipages/php-fpm_exporter reads with `?json&full`) and `?openmetrics` (PHP 8.1's names, as
 * OpenMetrics 1.0 wants them: counters end in `_total`). tsgi's own fields follow FPM's in the
 * same style. Pure: a snapshot and the time in, a page out.
 */
import type { StatusSnapshot, WorkerSnapshot } from "./snapshot.js";

export type StatusFormat = "text" | "json" | "openmetrics";

export interface RenderedStatus {
  contentType: string;
  body: string;
}

/** The format and `full` from a query string as FPM reads it: `json&full`, `openmetrics`. */
export function parseStatusQuery(query: string): { format: StatusFormat; full: boolean } {
  const words = new Set(query.split("&").map((part) => part.split("=")[0]));
  const format = words.has("json") ? "json" : words.has("openmetrics") ? "openmetrics" : "text";
  return { format, full: words.has("full") };
}

export function renderStatus(
  snapshot: StatusSnapshot,
  format: StatusFormat,
  full: boolean,
  nowMs = Date.now(),
): RenderedStatus {
  const now = Math.floor(nowMs / 1000);
  if (format === "json") {
    return { contentType: "application/json", body: JSON.stringify(jsonOf(snapshot, full, now)) };
  }
  if (format === "openmetrics") {
    return {
      contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8",
      body: openMetricsOf(snapshot, full, now),
    };
  }
  return { contentType: "text/plain; charset=utf-8", body: textOf(snapshot, full, now) };
}

// --- the pool's and each worker's fields, in FPM's order, with FPM's names ---------------------

function poolFields(s: StatusSnapshot, now: number): Array<[string, string | number]> {
  return [
    ["pool", s.pool],
    ["process manager", s.processManager],
    ["start time", s.startTime],
    ["start since", now - s.startTime],
    ["accepted conn", s.acceptedConn],
    ["listen queue", s.listenQueue],
    ["max listen queue", s.maxListenQueue],
    ["listen queue len", s.listenQueueLen],
    ["idle processes", s.idleProcesses],
    ["active processes", s.activeProcesses],
    ["total processes", s.totalProcesses],
    ["max active processes", s.maxActiveProcesses],
    ["max children reached", s.maxChildrenReached],
    ["slow requests", s.slowRequests],
    ["generation", s.generation],
    ["last reload", s.lastReload?.time ?? 0],
    ["last reload result", s.lastReload?.result ?? "-"],
    ["respawns", s.respawns],
  ];
}

function workerFields(w: WorkerSnapshot, now: number): Array<[string, string | number]> {
  return [
    ["pid", w.pid],
    ["state", w.state],
    ["start time", w.startTime],
    ["start since", now - w.startTime],
    ["requests", w.requests],
    ["request duration", w.requestDuration],
    ["request method", w.requestMethod],
    ["request uri", w.requestUri],
    ["content length", w.contentLength],
    ["user", "-"],
    ["script", "-"],
    ["last request cpu", w.lastRequestCpu],
    ["last request memory", w.lastRequestMemory],
    ["generation", w.generation],
    ["heartbeat age", w.heartbeatAge ?? 0],
    ["event loop lag", w.eventLoopLag],
    ["rss", w.rss],
  ];
}

// --- text -------------------------------------------------------------------------------------

const TEXT_NAMES: Record<string, string> = { "request uri": "request URI" };

function textOf(s: StatusSnapshot, full: boolean, now: number): string {
  const lines = textLines(poolFields(s, now));
  if (full) {
    for (const worker of s.workers) {
      lines.push("", "************************", ...textLines(workerFields(worker, now)));
    }
  }
  return `${lines.join("\n")}\n`;
}

function textLines(fields: Array<[string, string | number]>): string[] {
  return fields.map(([name, value]) => {
    const shown =
      name === "start time" || name === "last reload"
        ? fpmTime(Number(value))
        : name === "last request cpu"
          ? Number(value).toFixed(2) // FPM's "%.2f"
          : value;
    return `${`${TEXT_NAMES[name] ?? name}:`.padEnd(22)}${shown}`;
  });
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** FPM's text time, `05/Dec/2026:04:40:00 +0000` (strftime "%d/%b/%Y:%H:%M:%S %z", in UTC). */
function fpmTime(seconds: number): string {
  if (seconds === 0) return "-";
  const d = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

// --- json -------------------------------------------------------------------------------------

function jsonOf(s: StatusSnapshot, full: boolean, now: number): Record<string, unknown> {
  const json: Record<string, unknown> = Object.fromEntries(poolFields(s, now));
  if (full) json.processes = s.workers.map((w) => Object.fromEntries(workerFields(w, now)));
  return json;
}

// --- openmetrics ------------------------------------------------------------------------------

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  value: (s: StatusSnapshot, now: number) => number;
}

// PHP 8.1 fpm_status.c's families and help texts; counters get OpenMetrics' `_total` sample.
const FAMILIES: Family[] = [
  { name: "phpfpm_up", type: "gauge", help: "Could the pool be reached?", value: () => 1 },
  {
    name: "phpfpm_start_since",
    type: "counter",
    help: "The number of seconds since the pool has started.",
    value: (s, now) => now - s.startTime,
  },
  {
    name: "phpfpm_accepted_connections",
    type: "counter",
    help: "The number of requests accepted by the pool.",
    value: (s) => s.acceptedConn,
  },
  {
    name: "phpfpm_listen_queue",
    type: "gauge",
    help: "The number of requests in the queue of pending connections.",
    value: (s) => s.listenQueue,
  },
  {
    name: "phpfpm_max_listen_queue",
    type: "counter",
    help: "The maximum number of requests in the queue of pending connections since the pool has started.",
    value: (s) => s.maxListenQueue,
  },
  {
    name: "phpfpm_listen_queue_length",
    type: "gauge",
    help: "The size of the socket queue of pending connections.",
    value: (s) => s.listenQueueLen,
  },
  {
    name: "phpfpm_idle_processes",
    type: "gauge",
    help: "The number of idle processes.",
    value: (s) => s.idleProcesses,
  },
  {
    name: "phpfpm_active_processes",
    type: "gauge",
    help: "The number of active processes.",
    value: (s) => s.activeProcesses,
  },
  {
    name: "phpfpm_total_processes",
    type: "gauge",
    help: "The number of idle + active processes.",
    value: (s) => s.totalProcesses,
  },
  {
    name: "phpfpm_max_active_processes",
    type: "counter",
    help: "The maximum number of active processes since the pool has started.",
    value: (s) => s.maxActiveProcesses,
  },
  {
    name: "phpfpm_max_children_reached",
    type: "counter",
    help: "The number of times the process limit has been reached.",
    value: (s) => s.maxChildrenReached,
  },
  {
    name: "phpfpm_slow_requests",
    type: "counter",
    help: "The number of requests that exceeded the slow-log threshold.",
    value: (s) => s.slowRequests,
  },
  {
    name: "tsgi_generation",
    type: "gauge",
    help: "The reload generation of the newest workers (0: none since start).",
    value: (s) => s.generation,
  },
  {
    name: "tsgi_respawns",
    type: "counter",
    help: "Workers started again after one died.",
    value: (s) => s.respawns,
  },
];

interface WorkerFamily {
  name: string;
  type: "gauge" | "counter";
  help: string;
  value: (w: WorkerSnapshot) => number;
}

const WORKER_FAMILIES: WorkerFamily[] = [
  {
    name: "tsgi_worker_requests",
    type: "counter",
    help: "Requests the worker started.",
    value: (w) => w.requests,
  },
  {
    name: "tsgi_worker_active",
    type: "gauge",
    help: "1 while the worker serves a request.",
    value: (w) => (w.state === "Running" || w.state === "Blocked" ? 1 : 0),
  },
  {
    name: "tsgi_worker_heartbeat_age_seconds",
    type: "gauge",
    help: "Seconds since the master last heard from the worker.",
    value: (w) => (w.heartbeatAge ?? 0) / 1000,
  },
  {
    name: "tsgi_worker_event_loop_lag_seconds",
    type: "gauge",
    help: "How late the worker's event loop was at the last sample.",
    value: (w) => w.eventLoopLag / 1000,
  },
  {
    name: "tsgi_worker_rss_bytes",
    type: "gauge",
    help: "The worker's resident set size.",
    value: (w) => w.rss,
  },
];

function openMetricsOf(s: StatusSnapshot, full: boolean, now: number): string {
  const pool = `pool="${labelValue(s.pool)}"`;
  const lines: string[] = [];
  for (const family of FAMILIES) {
    const sample = family.type === "counter" ? `${family.name}_total` : family.name;
    lines.push(
      `# TYPE ${family.name} ${family.type}`,
      `# HELP ${family.name} ${family.help}`,
      `${sample}{${pool}} ${family.value(s, now)}`,
    );
  }
  if (full) {
    for (const family of WORKER_FAMILIES) {
      const sample = family.type === "counter" ? `${family.name}_total` : family.name;
      lines.push(`# TYPE ${family.name} ${family.type}`, `# HELP ${family.name} ${family.help}`);
      for (const w of s.workers) lines.push(`${sample}{${pool},pid="${w.pid}"} ${family.value(w)}`);
    }
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

// OpenMetrics 1.0: a label value escapes backslash, double quote and line feed.
function labelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}
