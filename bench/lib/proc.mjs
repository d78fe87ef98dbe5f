// Process and port helpers for the benchmark: start a backend, wait until it accepts, stop it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Every child still running, so an interrupted run stops them all (see stopAll). */
const running = new Set();

/** A TCP port nothing listens on right now (the kernel picks it). */
export async function freePort() {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether a TCP connect to host:port succeeds. */
function canConnect(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Waits until port accepts connections; throws (naming the backend) after timeoutMs. */
export async function waitForPort(name, port, child, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening`);
    }
    if (await canConnect(port)) return;
    await sleep(50);
  }
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/**
 * Starts a long-running process. Its stdout/stderr go to logPath so a failing backend can be
 * diagnosed afterwards without flooding the report.
 */
export function start(command, args, { logPath, env, cwd } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (logPath) {
    const log = createWriteStream(logPath, { flags: "a" });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if the process has not exited after graceMs. */
export async function stop(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every child this process started (on exit, error or Ctrl-C). */
export async function stopAll() {
  await Promise.all([...running].map((child) => stop(child)));
}

/** Runs a command to completion; resolves { code, stdout, stderr }. Never throws on exit code. */
export function run(command, args, { env, cwd, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}
