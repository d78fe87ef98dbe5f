import { spawn } from "node:child_process";

/**
 * sd_notify(3) through `systemd-notify`: Node cannot open the AF_UNIX datagram socket
 * NOTIFY_SOCKET names, so a short-lived child sends each state (the unit needs
 * `NotifyAccess=all`: the sender is not the main process). systemd-notify waits for systemd to
 * have read the message (a barrier) before it exits, so states leave one at a time, in order.
 * Without NOTIFY_SOCKET (not under a Type=notify unit) nothing runs.
 */
export class SystemdNotifier {
  readonly #enabled: boolean;
  readonly #env: NodeJS.ProcessEnv;
  #queue: Promise<void> = Promise.resolve();
  readonly #log: (line: string) => void;
  #warned = false;

  constructor(env: NodeJS.ProcessEnv = process.env, log = stderrLine) {
    this.#enabled = Boolean(env.NOTIFY_SOCKET);
    this.#env = env;
    this.#log = log;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** READY=1: serving (with --workers: every worker is ready). */
  ready(status?: string): Promise<void> {
    return this.send(["READY=1", ...(status ? [`STATUS=${status}`] : [])]);
  }

  /** RELOADING=1 with MONOTONIC_USEC (systemd 253's Type=notify-reload wants it; 252 accepts it). */
  reloading(): Promise<void> {
    // process.hrtime is CLOCK_MONOTONIC, the clock systemd compares MONOTONIC_USEC with.
    const usec = process.hrtime.bigint() / 1000n;
    return this.send(["RELOADING=1", `MONOTONIC_USEC=${usec}`]);
  }

  stopping(): Promise<void> {
    return this.send(["STOPPING=1"]);
  }

  status(text: string): Promise<void> {
    return this.send([`STATUS=${text}`]);
  }

  /**
   * Resolves once every state sent so far has left, or after `ms`: a process about to exit
   * waits for its STOPPING=1 (exiting first would kill it in the queue), but never long on a
   * systemd-notify that hangs.
   */
  settled(ms = 2000): Promise<void> {
    if (!this.#enabled) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.#queue.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sends the assignments after those sent before; never rejects. */
  send(assignments: string[]): Promise<void> {
    if (!this.#enabled) return Promise.resolve();
    this.#queue = this.#queue.then(() => this.#run(assignments));
    return this.#queue;
  }

  #run(assignments: string[]): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn("systemd-notify", assignments, {
        env: this.#env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("error", (error) => {
        this.#warn(`cannot run systemd-notify: ${error.message}`);
        resolve();
      });
      child.on("close", (code) => {
        if (code !== 0)
          this.#warn(`systemd-notify ${assignments.join(" ")}: ${stderr.trim() || `exit ${code}`}`);
        resolve();
      });
    });
  }

  #warn(line: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#log(`tsgi: ${line}`);
  }
}

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}
