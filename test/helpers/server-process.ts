import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { waitFor } from "./integration.js";

/** A real web server started by a test: where it listens and how to stop it. */
export interface ServerHandle {
  port: number;
  /** The temp dir holding its config, logs and pid file. */
  dir: string;
  /** The server's error log so far (CGI stderr lands here under Apache). */
  errorLog(): string;
  stop(): Promise<void>;
}

/** Runs a foreground server process and waits until `port` accepts connections. */
export async function runForeground(
  what: string,
  command: string,
  args: string[],
  port: number,
  errorLogPath: string,
): Promise<ChildProcess> {
  // detached: a process group of its own. Apache's prefork MPM signals its whole process group
  // when it stops, which would otherwise be the test runner's.
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  let exited: string | null = null;
  child.on("exit", (code, signal) => (exited = `exited with ${signal ?? code}`));
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`${what} ${exited}: ${output}${readLog(errorLogPath)}`);
        return accepts(port);
      },
      15_000,
      `${what} to listen on 127.0.0.1:${port}`,
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return child;
}

/**
 * Sends `signal` to the process and, when it was spawned `detached`, to its whole process group
 * (fcgiwrap's forked workers outlive a signalled parent); waits for the exit, SIGKILL after `ms`.
 */
export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals,
  ms = 5_000,
): Promise<void> {
  const send = (sig: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    } catch {
      child.kill(sig); // not a group leader (or the group is gone): the process alone
    }
  };
  if (child.exitCode !== null || child.signalCode !== null) {
    send("SIGKILL"); // the leader is gone; make sure nothing it forked is left behind
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => send("SIGKILL"), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    send(signal);
  });
}

export function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** The handle a test gets for a server started with runForeground in its own temp dir. */
export function serverHandle(
  child: ChildProcess,
  where: { port: number; dir: string; errorLogPath: string; removeDir: () => void },
  stopSignal: NodeJS.Signals,
): ServerHandle {
  return {
    port: where.port,
    dir: where.dir,
    errorLog: () => readLog(where.errorLogPath),
    async stop() {
      await stopProcess(child, stopSignal);
      where.removeDir();
    },
  };
}
