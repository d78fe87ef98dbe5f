import { type Command, InvalidArgumentError } from "commander";
import type { AppKind } from "../../frontends/cgi/app-kind.js";
import type { FastCgiOptions } from "../../frontends/fastcgi/limits.js";
import { adapterOption } from "../adapter-option.js";
import { parseDuration } from "../duration.js";
import { serveFastCgi } from "./run.js";

interface FcgiFlags {
  listen?: string;
  socketMode?: number;
  maxConns?: number;
  maxReqs?: number;
  maxParamsBytes?: number;
  maxParamsPairs?: number;
  maxRequestsPerConn?: number;
  idleTimeout?: number;
  paramsTimeout?: number;
  shutdownTimeout?: number;
  adapter?: AppKind;
}

/** `tsgi fcgi APP`: a FastCGI responder on --listen ADDR, or on the listening socket on fd 0. */
export function fcgiCommand(spec: string, flags: FcgiFlags): Promise<void> {
  const options: FastCgiOptions = {
    socketMode: flags.socketMode,
    maxConns: flags.maxConns,
    maxReqs: flags.maxReqs,
    maxParamsBytes: flags.maxParamsBytes,
    maxParamsPairs: flags.maxParamsPairs,
    maxRequestsPerConn: flags.maxRequestsPerConn,
    idleTimeoutMs: flags.idleTimeout,
    paramsTimeoutMs: flags.paramsTimeout,
  };
  return serveFastCgi(
    spec,
    flags.listen ?? { fd: 0 },
    options,
    flags.shutdownTimeout,
    flags.adapter,
  );
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError("not a positive integer");
  }
  return n;
}

function octal(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError("not an octal mode like 660");
  return Number.parseInt(value, 8);
}

export function register(program: Command): void {
  program
    .command("fcgi")
    .description("serve APP as a FastCGI responder (behind nginx, Apache, lighttpd)")
    .argument("<APP>", "app module path, optionally path:exportName")
    .option("--listen <ADDR>", "HOST:PORT, [IPV6]:PORT or a Unix socket path (default: fd 0)")
    .option("--socket-mode <MODE>", "permissions of the Unix socket (default 660)", octal)
    .option("--max-conns <N>", "open connections at once (default 1024)", positive)
    .option("--max-reqs <N>", "active requests in the process (default 1024)", positive)
    .option("--max-params-bytes <N>", "PARAMS bytes per request (default 1048576)", positive)
    .option("--max-params-pairs <N>", "PARAMS pairs per request (default 2000)", positive)
    .option("--max-requests-per-conn <N>", "active requests per connection (default 64)", positive)
    .option(
      "--idle-timeout <DURATION>",
      "close an idle connection, or drop a request whose STDIN stalls, after this (default 60s)",
      parseDuration,
    )
    .option(
      "--params-timeout <DURATION>",
      "drop a request whose PARAMS stall (default 30s)",
      parseDuration,
    )
    .option(
      "--shutdown-timeout <DURATION>",
      "on SIGTERM/SIGINT, let requests in flight finish this long; a second signal aborts them (default 30s)",
      parseDuration,
    )
    .addOption(adapterOption(program))
    .action(fcgiCommand);
}
