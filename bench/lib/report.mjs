// The report: machine, hello-world table with ratios and goals, streaming tables, SVG chart.
import { readFileSync } from "node:fs";
import os from "node:os";
import { run } from "./proc.mjs";

/** tsgi 0.2's goals: tsgi's req/s divided by the peer's must be at least `min`. */
export const GOALS = [
  { peer: "php-fpm", min: 2.0 },
  { peer: "go", min: 2.0 },
  { peer: "node-fastcgi", min: 8.0 },
  { peer: "bare", min: 0.8 },
];

async function firstLine(command, args) {
  try {
    const { stdout, stderr } = await run(command, args);
    return (stdout || stderr).split("\n")[0].trim();
  } catch {
    return "not installed";
  }
}

const GOAL_LABELS = {
  "php-fpm": "PHP-FPM (keep-conn)",
  go: "Go net/http/fcgi",
  "node-fastcgi": "node-fastcgi",
  bare: "the bare responder",
};

/** What the numbers were measured on. */
export async function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "latin1");
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: (await firstLine("nproc", [])) || String(os.availableParallelism()),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown",
    kernel: `${os.type()} ${os.release()}`,
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    nginx: (await firstLine("nginx", ["-v"])).replace(/^nginx version: /, ""),
    wrk: (await firstLine("wrk", ["-v"])).split(" [")[0],
    php: await firstLine("/usr/sbin/php-fpm8.2", ["-v"]),
    go: await firstLine("go", ["version"]),
  };
}

export function machineMarkdown(m, command) {
  return [
    `- date: ${m.date}`,
    `- command: \`${command}\``,
    `- machine: ${m.nproc} CPUs (nproc), ${m.cpu}, ${m.memGiB} GiB RAM, ${m.kernel}`,
    `- load average at start: ${m.load} (other processes share these CPUs; rerun if high)`,
    `- software: Node ${m.node}, ${m.nginx}, ${m.wrk}, ${m.php}, ${m.go}`,
  ].join("\n");
}

const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const fmtMs = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

/** The hello-world table; rows are { name, label, rps?, p99Ms?, errors?, reason? }. */
export function helloMarkdown(rows, { durationS, warmupS, rounds }) {
  const tsgi = rows.find((r) => r.name === "tsgi" && r.rps);
  const many = rounds > 1;
  const lines = [
    `nginx 1 worker in front of every backend (upstream \`keepalive 32\`, \`fastcgi_keep_conn on\` unless said otherwise), \`wrk -t1 -c32 -d${durationS}s\` after a ${warmupS} s warm-up, \`Hello, world!\\n\` as text/plain. ${many ? `${rounds} rounds with the backends interleaved, a fresh backend process each time; req/s is the median round (its p99 beside it) and the range of all rounds.` : "One round."} CPU/req: CPU time the backend's processes (for the nginx row: nginx's) used during the measured run, divided by the requests served${many ? " (median)" : ""}; it depends far less on other load than req/s does. Errors: wrk socket errors and timeouts plus non-2xx answers.`,
    "",
    `| backend | req/s | ${many ? "range | " : ""}p99 latency | CPU/req | tsgi / this (req/s) | this / tsgi (CPU/req) |`,
    `| --- | ---: | ${many ? "---: | " : ""}---: | ---: | ---: | ---: |`,
  ];
  for (const r of rows) {
    if (!r.rps) {
      lines.push(`| ${r.label} | ${r.reason} |${many ? " |" : ""} | | | |`);
      continue;
    }
    const ratio = tsgi ? `${(tsgi.rps / r.rps).toFixed(2)}x` : "—";
    const cpuRatio = tsgi && r.cpuUs ? `${(r.cpuUs / tsgi.cpuUs).toFixed(2)}x` : "—";
    const errors = r.errors ? ` (${fmtInt(r.errors)} errors)` : "";
    const range = many ? ` ${fmtInt(r.min)}–${fmtInt(r.max)} |` : "";
    const cpu = r.cpuUs === undefined ? "—" : `${r.cpuUs.toFixed(1)} µs`;
    lines.push(
      `| ${r.label} | ${fmtInt(r.rps)}${errors} |${range} ${fmtMs(r.p99Ms)} | ${cpu} | ${ratio} | ${cpuRatio} |`,
    );
  }
  return lines.join("\n");
}

/** PASS/FAIL per goal; "not measured" when tsgi or the peer has no number. */
export function goalsMarkdown(rows) {
  // A peer's errors do not disqualify it: they only raise its req/s (failed requests are
  // cheap), which makes the goal harder for tsgi, never easier.
  const rps = Object.fromEntries(rows.filter((r) => r.rps).map((r) => [r.name, r.rps]));
  const cpu = Object.fromEntries(rows.filter((r) => r.cpuUs).map((r) => [r.name, r.cpuUs]));
  const lines = [
    "| goal | req/s ratio | result | CPU/req ratio (for comparison) |",
    "| --- | ---: | --- | ---: |",
  ];
  for (const { peer, min } of GOALS) {
    const label = GOAL_LABELS[peer];
    const goal = `tsgi >= ${min.toFixed(1)}x ${label}`;
    if (!rps.tsgi || !rps[peer]) lines.push(`| ${goal} | — | not measured | |`);
    else {
      const ratio = rps.tsgi / rps[peer];
      const cpuRatio = cpu.tsgi && cpu[peer] ? `${(cpu[peer] / cpu.tsgi).toFixed(2)}x` : "—";
      lines.push(
        `| ${goal} | ${ratio.toFixed(2)}x | ${ratio >= min ? "PASS" : "FAIL"} | ${cpuRatio} |`,
      );
    }
  }
  return lines.join("\n");
}

/** Streaming throughput rows { label, mbps?, runs?, nginxCpuPerGiB?, peer?, unbuffered?, reason? }. */
export function throughputMarkdown(rows, { sizeMiB, runs }) {
  const lines = [
    `${sizeMiB} MiB response through nginx to \`curl -o /dev/null\`, median of ${runs} runs (MB = 10^6 bytes); the sources take turns, one download each per run. The static file goes out with sendfile; the FastCGI rows pass through nginx's fastcgi module with each buffering setting. nginx CPU: the seconds its worker spent per GiB passed on, the work that bounds these rates (one worker).`,
    "",
    "| source | MB/s (median) | runs | nginx CPU s/GiB |",
    "| --- | ---: | --- | ---: |",
  ];
  for (const r of rows) {
    if (r.mbps === undefined) lines.push(`| ${r.label} | ${r.reason} | | |`);
    else {
      const rates = r.runs.map((x) => fmtInt(x)).join(", ");
      lines.push(`| ${r.label} | ${fmtInt(r.mbps)} | ${rates} | ${r.nginxCpuPerGiB.toFixed(2)} |`);
    }
  }
  lines.push("", streamGoalMarkdown(rows));
  return lines.join("\n");
}

// Issue "tsgi 0.2" §4: the 256 MiB response at least as fast as Go's.
function streamGoalMarkdown(rows) {
  const lines = ["| goal | tsgi / Go (MB/s) | result |", "| --- | ---: | --- |"];
  for (const unbuffered of [false, true]) {
    const find = (peer) => rows.find((r) => r.peer === peer && r.unbuffered === unbuffered);
    const tsgi = find("tsgi-stream");
    const go = find("go-stream");
    const config = unbuffered ? "fastcgi_buffering off" : "fastcgi_buffering on";
    const goal = `tsgi >= 1.0x Go, ${config}`;
    if (!tsgi?.mbps || !go?.mbps) lines.push(`| ${goal} | — | not measured |`);
    else {
      const ratio = tsgi.mbps / go.mbps;
      lines.push(`| ${goal} | ${ratio.toFixed(2)}x | ${ratio >= 1 ? "PASS" : "FAIL"} |`);
    }
  }
  return lines.join("\n");
}

/** Slow-reader memory rows { label, peakMiB?, beforeMiB?, seconds?, reason? }. */
export function memoryMarkdown(rows, { sizeMiB, rate, limitMiB }) {
  const lines = [
    `${sizeMiB} MiB response through nginx to \`curl --limit-rate ${rate}\`; the backend's RSS before the request and its peak (VmHWM from /proc/PID/status; a fresh process per row). Goal for tsgi: peak < ${limitMiB} MiB. \`fastcgi_buffering on\` is nginx's default and what docs/fastcgi.md recommends: nginx takes the response as fast as the backend sends it (spilling to a temp file) and serves the slow client itself. \`off\` passes the slow client's backpressure through to the backend, the case that tests tsgi's flow control.`,
    "",
    "| backend, nginx config | RSS before | peak RSS | seconds | goal |",
    "| --- | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    if (r.peakMiB === undefined) {
      lines.push(`| ${r.label} | ${r.reason} | | | |`);
      continue;
    }
    const goal = r.goal ? (r.peakMiB < limitMiB ? "PASS" : "FAIL") : "";
    lines.push(
      `| ${r.label} | ${r.beforeMiB.toFixed(1)} MiB | ${r.peakMiB.toFixed(1)} MiB | ${r.seconds.toFixed(1)} | ${goal} |`,
    );
  }
  return lines.join("\n");
}

const escapeXml = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A horizontal bar chart of req/s per backend (measured rows only). */
export function helloSvg(rows, m) {
  const measured = rows.filter((r) => r.rps);
  const max = Math.max(...measured.map((r) => r.rps));
  const barX = 400;
  const barW = 420;
  const rowH = 28;
  const height = 50 + measured.length * rowH + 20;
  const bars = measured.map((r, i) => {
    const y = 40 + i * rowH;
    const w = Math.max(1, (r.rps / max) * barW);
    const fill = r.name === "tsgi" ? "#d9480f" : r.name === "nginx" ? "#adb5bd" : "#4263eb";
    const label = escapeXml(r.label.replace(/`/g, ""));
    return [
      `<text x="${barX - 8}" y="${y + 17}" text-anchor="end">${label}</text>`,
      `<rect x="${barX}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${fill}"/>`,
      `<text x="${barX + w + 6}" y="${y + 17}">${fmtInt(r.rps)}</text>`,
    ].join("");
  });
  const title = `Hello world req/s behind nginx (1 worker, wrk -t1 -c32), ${m.nproc} CPUs, Node ${m.node}, ${m.date.slice(0, 10)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-weight="bold">${escapeXml(title)}</text>
${bars.join("\n")}
</svg>
`;
}
