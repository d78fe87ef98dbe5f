// Runs wrk against one URL and parses what the report needs: req/s, p99, errors.
import { cpuSeconds } from "./cpu.mjs";
import { run } from "./proc.mjs";

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** "1.02ms" -> 1.02 (milliseconds). */
function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : Number.NaN;
}

/** Parses wrk --latency output. Throws, quoting wrk, when the summary is missing. */
export function parseWrk(out) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rps || !p99 || !total) throw new Error(`cannot parse wrk output:\n${out}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps: Number(rps[1]),
    p99Ms: toMs(p99[1]),
    requests: Number(total[1]),
    errors: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
  };
}

/**
 * wrk -t1 -cC -dDs --latency url; warmupS > 0 runs (and discards) a shorter run first. With
 * pid, also the CPU that process tree spent per request during the measured run (cpuUs).
 */
export async function wrk(url, { durationS, warmupS, connections = 32, pid }) {
  const args = (d) => ["-t1", `-c${connections}`, `-d${d}s`, "--latency", url];
  if (warmupS > 0) await run("wrk", args(warmupS));
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const { code, stdout, stderr } = await run("wrk", args(durationS));
  const cpu = pid ? cpuSeconds(pid) - cpuBefore : 0;
  if (code !== 0) throw new Error(`wrk exited ${code}: ${stderr || stdout}`);
  const result = parseWrk(stdout);
  return { ...result, cpuUs: pid ? (cpu / result.requests) * 1e6 : undefined };
}
