// Streaming measurements: throughput of a large response through nginx, and a backend's peak
// memory while nginx hands the response to a slow client.
import { readFileSync } from "node:fs";
import { run } from "./proc.mjs";

/** curl GET url to /dev/null; { bytes, seconds } (curl's own size_download and time_total). */
async function curl(url, extra = []) {
  const args = ["-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", ...extra, url];
  const { code, stdout, stderr } = await run("curl", args);
  if (code !== 0) throw new Error(`curl ${url} exited ${code}: ${stderr}`);
  const [bytes, seconds] = stdout.trim().split(" ").map(Number);
  return { bytes, seconds };
}

/** One download's MB/s (10^6 bytes); throws if it comes up short. */
export async function download(url, expectedBytes) {
  const { bytes, seconds } = await curl(url);
  if (bytes !== expectedBytes) throw new Error(`got ${bytes} of ${expectedBytes} bytes`);
  return bytes / seconds / 1e6;
}

/** VmRSS and VmHWM (peak) of pid in MiB, from /proc/PID/status. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { rssMiB: kib("VmRSS") / 1024, hwmMiB: kib("VmHWM") / 1024 };
}

/**
 * Downloads url at `rate` (curl --limit-rate) while sampling pid's RSS every 50 ms.
 * Returns the peak (VmHWM, the kernel's own high-water mark), the RSS before and the seconds.
 */
export async function slowReader(url, pid, expectedBytes, rate) {
  const before = memory(pid);
  let maxSampled = before.rssMiB;
  const timer = setInterval(() => {
    try {
      maxSampled = Math.max(maxSampled, memory(pid).rssMiB);
    } catch {} // the process may be gone; the download then fails and says so
  }, 50);
  try {
    const { bytes, seconds } = await curl(url, ["--limit-rate", rate]);
    if (bytes !== expectedBytes) throw new Error(`got ${bytes} of ${expectedBytes} bytes`);
    const after = memory(pid);
    return { beforeMiB: before.rssMiB, peakMiB: after.hwmMiB, maxSampledMiB: maxSampled, seconds };
  } finally {
    clearInterval(timer);
  }
}
