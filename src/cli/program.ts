import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { register as cgi } from "./commands/cgi.js";
import { addWorkerOptions, register as fcgi } from "./commands/fcgi.js";
import { register as request } from "./commands/request.js";
import { register as run } from "./commands/run.js";
import { register as serve } from "./commands/serve.js";
import { addOpsFlags } from "./ops-flags.js";

// One line per command: each module adds itself to the program.
const COMMANDS: Array<(program: Command) => void> = [
  request,
  serve,
  cgi,
  fcgi,
  (program) => run(program, (command) => addOpsFlags(addWorkerOptions(command))),
];

/** Parses `argv` (as process.argv) and runs the command it names. */
export async function runProgram(argv: string[]): Promise<void> {
  const program = new Command("tsgi")
    .description("Run web applications under CGI, FastCGI or a development HTTP server")
    .version(packageVersion(), "-V, --version")
    .showHelpAfterError()
    .enablePositionalOptions();
  for (const add of COMMANDS) add(program);
  await program.parseAsync(argv);
}

// The version of the installed package. The bundler may place this code in dist/cli/ or in a
// shared chunk under dist/, and vitest runs it from src/cli/: look upwards for tsgi's package.json.
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.name === "tsgi") return String(pkg.version);
    } catch {
      // no package.json here: keep looking
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}
