import { fstatSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { adapterOption } from "../adapter-option.js";
import type { FcgiFlags } from "./fcgi.js";

/**
 * `tsgi run APP`: the backend picks its protocol from how it was started (design §2). This
 * module stays free of commander at run time: main.ts calls runRunCommand directly, and a CGI
 * process must start fast.
 */
export async function runRunCommand(spec: string, flags: FcgiFlags = {}): Promise<void> {
  // A worker of `tsgi run APP --workers N` has no socket on fd 0: its master does.
  const mode = flags.workers && process.env.TSGI_WORKER ? "fastcgi" : detectMode();
  if (mode === "fastcgi") {
    // Loaded only here: a CGI process (the other branch) pays for none of the FastCGI server.
    const { graceOf, serveFastCgi } = await import("./serve-fastcgi.js");
    const { opsServerOptions } = await import("../ops-options.js");
    await serveFastCgi(spec, undefined, opsServerOptions(flags), graceOf(flags), flags);
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
  if (hasSystemdSocket() || (isSocket(0) && isListening(0) !== false)) return "fastcgi";
  return process.env.GATEWAY_INTERFACE ? "cgi" : null;
}

function hasSystemdSocket(): boolean {
  return Number(process.env.LISTEN_FDS) > 0 && Number(process.env.LISTEN_PID) === process.pid;
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

/** `addOptions` adds the `--workers` flags (fcgi.ts): commander stays out of the CGI path. */
export function register(program: Command, addOptions: (command: Command) => Command): void {
  const command = program
    .command("run")
    .description(
      "run APP as its starter expects: FastCGI on a listening socket on fd 0, else CGI (GATEWAY_INTERFACE)",
    )
    .argument("<APP>", "app module path, optionally path:exportName")
    .addOption(adapterOption(program));
  addOptions(command).action(runRunCommand);
}
