import type { Command, Option } from "commander";

/**
 * `--adapter`, on every command that takes APP (issue 8 §2; the rules are in
 * frontends/cgi/app-kind.ts). Made by the command itself, so that run.ts and cgi.ts, which a
 * CGI process loads, import commander's types only.
 */
export function adapterOption(command: Command): Option {
  return command
    .createOption(
      "--adapter <KIND>",
      "what APP exports when detection cannot tell: tsgi (environ, startResponse), node (req, res) or fetch (request) => Response",
    )
    .choices(["tsgi", "node", "fetch"]);
}
