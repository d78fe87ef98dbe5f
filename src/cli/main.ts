#!/usr/bin/env node
// The `tsgi` bin. A CGI process starts for every request, so `tsgi cgi APP` loads only the CGI
// command (the app loader and the CGI front-end); everything else loads the commander program.
const [command, ...args] = process.argv.slice(2);
const fast = fastPath(args);

const running =
  command === "cgi" && fast
    ? import("./commands/cgi.js").then((cgi) => cgi.runCgiCommand(fast.app, fast.adapter))
    : command === "run" && fast
      ? import("./commands/run.js").then((run) => run.runRunCommand(fast.app, fast))
      : import("./program.js").then((program) => program.runProgram(process.argv));

/** `APP`, `APP --adapter KIND` or `--adapter=KIND APP`: no need for commander; else undefined. */
function fastPath(
  list: string[],
): { app: string; adapter?: "tsgi" | "node" | "fetch" } | undefined {
  let app: string | undefined;
  let adapter: string | undefined;
  for (let i = 0; i < list.length; i++) {
    const arg = list[i];
    if (arg === "--adapter" && adapter === undefined) adapter = list[++i];
    else if (arg.startsWith("--adapter=") && adapter === undefined) adapter = arg.slice(10);
    else if (!arg.startsWith("-") && app === undefined) app = arg;
    else return undefined;
  }
  if (app === undefined) return undefined;
  if (adapter === undefined) return { app };
  // A wrong KIND goes to commander, which names the choices.
  return adapter === "tsgi" || adapter === "node" || adapter === "fetch"
    ? { app, adapter }
    : undefined;
}

running.catch((error: unknown) => {
  // A bad APP is a usage error: one line, exit 2, no stack (the commands throw AppLoadError).
  if ((error as { code?: unknown } | null)?.code === "ERR_TSGI_APP_LOAD") {
    process.stderr.write(`tsgi: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(
    `tsgi: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  process.exitCode = 1;
});
