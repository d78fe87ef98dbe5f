#!/usr/bin/env node
// The `tsgi` bin. A CGI process starts for every request, so `tsgi cgi APP` loads only the CGI
// command (the app loader and the CGI front-end); everything else loads the commander program.
const [command, app, ...rest] = process.argv.slice(2);

const plain = app !== undefined && !app.startsWith("-") && rest.length === 0;
const running =
  command === "cgi" && plain
    ? import("./commands/cgi.js").then((cgi) => cgi.runCgiCommand(app))
    : command === "run" && plain
      ? import("./commands/run.js").then((run) => run.runRunCommand(app))
      : import("./program.js").then((program) => program.runProgram(process.argv));

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
