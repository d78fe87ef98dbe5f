import { type Command, InvalidArgumentError } from "commander";
import type { AppKind } from "../../frontends/cgi/app-kind.js";
import type { FastCgiOptions } from "../../frontends/fastcgi/limits.js";
import { adapterOption } from "../adapter-option.js";
import { parseDuration } from "../duration.js";
import { addOpsFlags } from "../ops-flags.js";
import { type OpsFlags, opsServerOptions } from "../ops-options.js";
import { graceOf, serveFastCgi } from "./serve-fastcgi.js";
import type { WorkerFlags } from "./workers.js";

export interface FcgiFlags extends WorkerFlags, OpsFlags {
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
  gracefulTimeout?: number;
  adapter?: AppKind;
}

/** `tsgi fcgi APP`: a FastCGI responder on --listen ADDR, or on the listening socket on fd 0. */
export function fcgiCommand(spec: string, flags: FcgiFlags): Promise<void> {
  return serveFastCgi(spec, flags.listen, fastCgiOptions(flags), graceOf(flags), flags);
}

function fastCgiOptions(flags: FcgiFlags): FastCgiOptions {
  return {
    socketMode: flags.socketMode,
    maxConns: flags.maxConns,
    maxReqs: flags.maxReqs,
    maxParamsBytes: flags.maxParamsBytes,
    maxParamsPairs: flags.maxParamsPairs,
    maxRequestsPerConn: flags.maxRequestsPerConn,
    idleTimeoutMs: flags.idleTimeout,
    paramsTimeoutMs: flags.paramsTimeout,
    ...opsServerOptions(flags),
  };
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

function balance(value: string): "least-busy" | "kernel" {
  if (value !== "least-busy" && value !== "kernel") {
    throw new InvalidArgumentError("least-busy (the master picks) or kernel (workers accept)");
  }
  return value;
}

function whole(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("not a whole number");
  return Number(value);
}

/** `--workers N` and what goes with it (docs/workers.md); `tsgi run` takes them too. */
export function addWorkerOptions(command: Command): Command {
  return command
    .option("--workers <N>", "a master and N worker processes (default: one process)", positive)
    .option(
      "--balance <MODE>",
      "least-busy (default): the master hands each connection to the least busy worker; kernel: workers accept",
      balance,
    )
    .option(
      "--graceful-timeout <DURATION>",
      "bounds every drain: reload, recycling, SIGTERM (default 30s)",
      parseDuration,
    )
    .option("--max-requests <N>", "recycle a worker after N requests", positive)
    .option("--max-requests-jitter <J>", "add 0..J to each worker's --max-requests", whole)
    .option("--max-rss <MB>", "recycle a worker whose resident memory exceeds MB MiB", positive)
    .option(
      "--worker-timeout <DURATION>",
      "kill and replace a worker whose event loop is blocked this long",
      parseDuration,
    );
}

export function register(program: Command): void {
  const command = program
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
      "on SIGTERM/SIGINT, let requests in flight finish this long; a second signal aborts them (default 30s); alias of --graceful-timeout",
      parseDuration,
    )
    .addOption(adapterOption(program));
  addOpsFlags(addWorkerOptions(command)).action(fcgiCommand);
}
