import type { Master } from "./master.js";

const reopenHooks = new Set<() => void>();

/**
 * Registers what SIGUSR1 reopens (logrotate: the access log, the slow log). Runs in the master
 * when it gets the signal and in every worker when the master passes it on. Returns the way to
 * unregister it.
 */
export function onReopenLogs(hook: () => void): () => void {
  reopenHooks.add(hook);
  return () => reopenHooks.delete(hook);
}

export function reopenLogs(log: (line: string) => void): void {
  for (const hook of reopenHooks) {
    try {
      hook();
    } catch (error) {
      log(`tsgi: reopening logs: ${error instanceof Error ? error.message : error}`);
    }
  }
}

/**
 * Install as early as possible in every process: without a JavaScript handler SIGUSR1 opens the
 * inspector on 127.0.0.1:9229 (notes, "Node 20 facts").
 */
export function guardSigusr1(): void {
  if (process.listenerCount("SIGUSR1") === 0) process.on("SIGUSR1", noop);
}

/**
 * The master's signals (issue 10 §2): TERM graceful stop (a second one: fast), INT and QUIT fast
 * stop, HUP rolling reload, TTIN/TTOU one worker more/fewer, USR1 reopen logs.
 */
export function installMasterSignals(master: Master): void {
  let terms = 0;
  const on = (signal: NodeJS.Signals, action: () => void) => process.on(signal, action);
  on("SIGTERM", () => master.stop(terms++ === 0));
  on("SIGINT", () => master.stop(false));
  on("SIGQUIT", () => master.stop(false));
  on("SIGHUP", () => master.reload());
  on("SIGTTIN", () => master.resize(1));
  on("SIGTTOU", () => master.resize(-1));
  on("SIGUSR1", () => {
    reopenLogs((line) => master.log(line));
    master.emit("reopen-logs");
    for (const worker of master.workers.values()) worker.child.send?.({ kind: "reopen-logs" });
  });
}

/**
 * A worker leaves the signals to its master: a terminal's Ctrl-C or a HUP reaches the whole
 * process group, and the master decides. SIGTERM sent to a worker alone (or to the group, as
 * systemd's KillMode=control-group does) is a graceful stop of that worker.
 */
export function installWorkerSignals(onTerm: () => void): void {
  for (const signal of ["SIGINT", "SIGHUP", "SIGQUIT", "SIGTTIN", "SIGTTOU"] as const) {
    process.on(signal, noop);
  }
  process.on("SIGUSR1", () => reopenLogs(stderrLine));
  process.on("SIGTERM", onTerm);
}

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

function noop(): void {}
