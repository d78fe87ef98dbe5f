// Issue 10 §6: `tsgi fcgi --workers 2` beside one tsgi process, PHP-FPM (pm static, 2 children),
// Go, and node:http behind proxy_pass, with the goals: --workers 2 at least 1.3x the req/s of
// one tsgi process and of PHP-FPM, at no more than 1.05x one process's CPU per request.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { start } from "./proc.mjs";

const HELLO_APP = "examples/hello.mjs";

/** tsgi with a master and N workers; the CPU counted is the master's and every worker's. */
function tsgiWorkers(workers) {
  return {
    name: `tsgi-workers`,
    label: `tsgi --workers ${workers} (least-busy)`,
    async prepare(ctx) {
      if (!existsSync(join(ctx.root, "src/frontends/fastcgi/workers/master.ts")))
        return "src/frontends/fastcgi/workers/master.ts does not exist yet";
      if (!existsSync(join(ctx.root, "dist/cli/main.js")))
        return "dist/cli/main.js missing: npm run build";
      return undefined;
    },
    start(ctx, port) {
      const args = ["dist/cli/main.js", "fcgi", HELLO_APP, "--listen", `127.0.0.1:${port}`];
      args.push("--workers", String(workers));
      return start(process.execPath, args, { cwd: ctx.root, logPath: ctx.log("tsgi-workers") });
    },
  };
}

/** node:http, one process, behind `proxy_pass` with upstream keep-alive. */
const nodeHttp = {
  name: "node-http",
  label: "node:http behind proxy_pass",
  kind: "proxy",
  async prepare() {
    return undefined;
  },
  start(ctx, port) {
    return start(process.execPath, ["bench/peers/node-http.mjs", String(port)], {
      cwd: ctx.root,
      logPath: ctx.log("node-http"),
    });
  },
};

/** The backends this issue adds to the hello-world table. */
export function workersBackends() {
  return [tsgiWorkers(2), nodeHttp];
}

const GOALS = [
  { peer: "tsgi", label: "one tsgi process", min: 1.3 },
  { peer: "php-fpm", label: "PHP-FPM (pm static, 2 children, keep-conn)", min: 1.3 },
];
const CPU_MAX = 1.05;

/** The goals table of issue 10 §6, from the summarized hello-world rows. */
export function workersGoalsMarkdown(rows) {
  const by = Object.fromEntries(rows.filter((r) => r.rps).map((r) => [r.name, r]));
  const w = by["tsgi-workers"];
  const lines = ["| goal | measured | result |", "| --- | ---: | --- |"];
  for (const { peer, label, min } of GOALS) {
    const goal = `tsgi --workers 2 >= ${min.toFixed(1)}x the req/s of ${label}`;
    if (!w || !by[peer]) lines.push(`| ${goal} | — | not measured |`);
    else {
      const ratio = w.rps / by[peer].rps;
      lines.push(`| ${goal} | ${ratio.toFixed(2)}x | ${ratio >= min ? "PASS" : "FAIL"} |`);
    }
  }
  const goal = `tsgi --workers 2 CPU/req <= ${CPU_MAX}x one tsgi process's`;
  if (!w?.cpuUs || !by.tsgi?.cpuUs) lines.push(`| ${goal} | — | not measured |`);
  else {
    const ratio = w.cpuUs / by.tsgi.cpuUs;
    lines.push(`| ${goal} | ${ratio.toFixed(2)}x | ${ratio <= CPU_MAX ? "PASS" : "FAIL"} |`);
  }
  return lines.join("\n");
}
