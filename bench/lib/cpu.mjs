// CPU seconds a process tree has used, from /proc (utime + stime of the process and every
// descendant alive at the time: PHP-FPM's children do its work). Less sensitive to other load
// on the machine than req/s: a busy neighbour slows a backend down but adds no CPU to it.
import { readdirSync, readFileSync } from "node:fs";

const TICKS = 100; // USER_HZ on Linux

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) may hold spaces; the fields after it are space separated.
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** CPU seconds of pid and its descendants. */
export function cpuSeconds(pid) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(name);
    if (!s) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push({ pid: Number(name), ticks: s.ticks });
  }
  let ticks = stat(pid)?.ticks ?? 0;
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.pop()) ?? []) {
      ticks += child.ticks;
      queue.push(child.pid);
    }
  }
  return ticks / TICKS;
}
