import { fstatSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import type { AppKind } from "../../frontends/cgi/app-kind.js";
import type { FastCgiOptions } from "../../frontends/fastcgi/limits.js";
import { createFastCgiServer, DEFAULT_SHUTDOWN_GRACE_MS } from "../../frontends/fastcgi/server.js";
import { adapterOption } from "../adapter-option.js";
import { loadApp } from "../load-app.js";

interface RunFlags {
  adapter?: AppKind;
}

/**
 * `tsgi run APP`: the backend picks its protocol from how it was started (design §2). This
 * module stays free of commander at run time: main.ts calls runRunCommand directly, and a CGI
 * process must start fast.
 */
export async function runRunCommand(spec: string, flags: RunFlags = {}): Promise<void> {
  const mode = detectMode();
  if (mode === "fastcgi") {
    await serveFastCgi(spec, { fd: 0 }, {}, undefined, flags.adapter);
  } else if (mode === "cgi") {
    const cgi = await import("./cgi.js");
    await cgi.runCgiCommand(spec, flags.adapter);
  } else {
    process.stderr.write(
      "tsgi run: neither a FastCGI listening socket on fd 0 nor GATEWAY_INTERFACE (CGI) in the environment; for a TCP or Unix socket use `tsgi fcgi APP --listen ADDR`\n",
    );
    process.exitCode = 2;
  }
}

/**
 * FastCGI 1.0 §2.2: a FastCGI backend inherits a listening socket as fd 0 (spawn-fcgi,
 * mod_fcgid, lighttpd). RFC 3875 §4.1.4: a CGI server sets GATEWAY_INTERFACE. A connected
 * socket on fd 0 is not FastCGI's (Node's spawn gives children socketpairs as stdin), so a
 * socket counts only when it is listening, or when we cannot tell.
 */
export function detectMode(): "fastcgi" | "cgi" | null {
  if (isSocket(0) && isListening(0) !== false) return "fastcgi";
  return process.env.GATEWAY_INTERFACE ? "cgi" : null;
}

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}

// Linux: a socket's inode appears in /proc/net/{unix,tcp,tcp6} with its state. undefined
// when we cannot tell.
function isListening(fd: number): boolean | undefined {
  let inode: string;
  try {
    inode = String(fstatSync(fd).ino);
  } catch {
    return undefined;
  }
  // /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path; __SO_ACCEPTCON = 0x10000
  const unix = procTable("/proc/net/unix", 6, inode);
  if (unix) return (Number.parseInt(unix[3], 16) & 0x10000) !== 0;
  // /proc/net/tcp{,6}: sl local rem st ... inode (column 9); st 0A is TCP_LISTEN
  const tcp = procTable("/proc/net/tcp", 9, inode) ?? procTable("/proc/net/tcp6", 9, inode);
  if (tcp) return tcp[3] === "0A";
  return undefined;
}

function procTable(file: string, inodeColumn: number, inode: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[inodeColumn] === inode) return fields;
  }
  return undefined;
}

/**
 * Loads APP, serves it over FastCGI on `address` until SIGTERM/SIGINT, and prints
 * `tsgi: FastCGI on ADDR` once listening. A listen failure (a live socket, a port in use) is one
 * line on stderr and exit code 1. The first signal stops accepting and lets the requests in
 * flight finish (up to `graceMs`), so a restart behind nginx cuts no response short; a second
 * signal aborts them. Either way the process exits 0.
 */
export async function serveFastCgi(
  spec: string,
  address: string | { fd: number },
  options: FastCgiOptions,
  graceMs = DEFAULT_SHUTDOWN_GRACE_MS,
  adapter?: AppKind,
): Promise<void> {
  const app = await loadApp(spec, undefined, adapter);
  const server = createFastCgiServer(app, options);
  try {
    await server.listen(address);
  } catch (error) {
    const where = typeof address === "string" ? address : `fd ${address.fd}`;
    process.stderr.write(
      `tsgi: cannot listen on ${where}: ${error instanceof Error ? error.message : error}\n`,
    );
    process.exitCode = 1;
    await server.close().catch(() => {});
    return;
  }
  process.stderr.write(`tsgi: FastCGI on ${server.address()}\n`);
  const exit = (closed: Promise<void>) =>
    closed.then(
      () => process.exit(0),
      () => process.exit(1),
    );
  const now = () => {
    process.off("SIGINT", now);
    process.off("SIGTERM", now);
    exit(server.close());
  };
  const graceful = () => {
    process.off("SIGINT", graceful);
    process.off("SIGTERM", graceful);
    process.on("SIGINT", now);
    process.on("SIGTERM", now);
    exit(server.shutdown(graceMs));
  };
  process.on("SIGINT", graceful);
  process.on("SIGTERM", graceful);
}

export function register(program: Command): void {
  program
    .command("run")
    .description(
      "run APP as its starter expects: FastCGI on a listening socket on fd 0, else CGI (GATEWAY_INTERFACE)",
    )
    .argument("<APP>", "app module path, optionally path:exportName")
    .addOption(adapterOption(program))
    .action(runRunCommand);
}
