import { type Command, InvalidArgumentError, Option } from "commander";
import { parseDuration } from "./duration.js";

export type { OpsFlags } from "./ops-options.js";

function urlPath(value: string): string {
  if (!/^\/[^\s?#]*$/.test(value)) {
    throw new InvalidArgumentError("not a URL path: give one like /tsgi-status (no query)");
  }
  return value;
}

export function addOpsFlags(command: Command): Command {
  return command
    .option(
      "--request-timeout <DURATION>",
      "abort a request still running after this: 504 before its headers, a broken response after (default: none)",
      parseDuration,
    )
    .option(
      "--slow-log <DURATION>",
      "log a request slower than this, with the JavaScript stack when the event loop is blocked",
      parseDuration,
    )
    .option("--slow-log-file <FILE>", "where slow-log entries go (default: stderr)")
    .option(
      "--status-path <PATH>",
      "answer this path with the status page (PHP-FPM's fields)",
      urlPath,
    )
    .option("--ping-path <PATH>", "answer this path with pong", urlPath)
    .option(
      "--access-log <FILE>",
      "one line per request to FILE (- for stdout); reopened on SIGUSR1",
    )
    .addOption(
      new Option("--access-log-format <FORMAT>", "access log format (default combined)").choices([
        "combined",
        "common",
        "json",
      ]),
    );
}
