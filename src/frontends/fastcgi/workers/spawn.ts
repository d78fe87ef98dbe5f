import { type ChildProcess, fork } from "node:child_process";

/** Environment variables a worker reads (set by the master, never by a user). */
export const WORKER_ENV = {
  id: "TSGI_WORKER",
  generation: "TSGI_WORKER_GENERATION",
  maxRequests: "TSGI_WORKER_MAX_REQUESTS",
  heartbeatMs: "TSGI_WORKER_HEARTBEAT_MS",
} as const;

/** Starts one worker process with these extra environment variables. */
export type ForkWorker = (env: Record<string, string>) => ChildProcess;

/**
 * The default: the same program with the same arguments (`tsgi fcgi APP --workers N ...`), told
 * by TSGI_WORKER that it is a worker. Its stdout and stderr are the master's; fd 0 is not the
 * listening socket (only the master holds it), and systemd's LISTEN_FDS are the master's alone.
 */
export function forkSelf(env: Record<string, string>): ChildProcess {
  const inherited = { ...process.env };
  delete inherited.LISTEN_FDS;
  delete inherited.LISTEN_PID;
  delete inherited.LISTEN_FDNAMES;
  return fork(process.argv[1], process.argv.slice(2), {
    env: { ...inherited, ...env },
    execArgv: process.execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

/** True in a process the master started as a worker. */
export function isWorkerProcess(): boolean {
  return Boolean(process.env[WORKER_ENV.id]) && typeof process.send === "function";
}
