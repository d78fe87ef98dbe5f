import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { findBinary, tempDir, waitFor } from "./integration.js";

export const PYTHON = findBinary("python3");

// Node cannot bind an AF_UNIX datagram socket; python3 can. Each datagram (sd_notify's
// "KEY=VALUE\n..." lines) is printed on one line; fds passed with it (systemd-notify's
// BARRIER=1) are closed, which is what releases the sender's barrier.
const LISTENER = `
import socket, sys, os, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    msg, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i"); fds.frombytes(data[: len(data) - (len(data) % 4)])
            for fd in fds: os.close(fd)
    print(msg.decode("utf-8", "replace").replace("\\n", " ").strip(), flush=True)
`;

/** A fake NOTIFY_SOCKET: what systemd would receive, as lines ("READY=1 STATUS=..."). */
export interface NotifySocket {
  path: string;
  messages: string[];
  waitFor(match: RegExp, ms?: number): Promise<string>;
  close(): void;
}

export async function startNotifySocket(): Promise<NotifySocket> {
  if (!PYTHON) throw new Error("python3 not found");
  const dir = tempDir("tsgi-notify-");
  const path = join(dir.path, "notify.sock");
  const child: ChildProcess = spawn(PYTHON, ["-c", LISTENER, path], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
  });
  await waitFor(() => lines.includes("bound"), 10_000, "the notify socket");
  const messages = lines;
  messages.splice(messages.indexOf("bound"), 1);
  return {
    path,
    messages,
    async waitFor(match, ms = 15_000) {
      let found = "";
      await waitFor(
        () => {
          found = messages.find((m) => match.test(m)) ?? "";
          return found !== "";
        },
        ms,
        `a notify message matching ${match}`,
      );
      return found;
    },
    close() {
      child.kill("SIGKILL");
      dir.remove();
    },
  };
}
