import { afterEach, expect, test } from "vitest";
import { SystemdNotifier } from "../../src/cli/systemd.js";
import { describeIntegration, findBinary, need } from "../helpers/integration.js";
import { type NotifySocket, PYTHON, startNotifySocket } from "../helpers/notify-socket.js";

const SYSTEMD_NOTIFY = findBinary("systemd-notify");
const sockets: NotifySocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

test("without NOTIFY_SOCKET nothing is sent and nothing runs", async () => {
  const notifier = new SystemdNotifier({});
  expect(notifier.enabled).toBe(false);
  await notifier.ready();
});

test("a missing systemd-notify is one log line, not an error", async () => {
  const lines: string[] = [];
  const env = { NOTIFY_SOCKET: "/nonexistent", PATH: "/nonexistent" };
  const notifier = new SystemdNotifier(env, (l) => lines.push(l));
  await notifier.ready();
  await notifier.stopping();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tsgi: cannot run systemd-notify/);
});

describeIntegration(
  "systemd-notify to a fake NOTIFY_SOCKET",
  [need("systemd-notify", SYSTEMD_NOTIFY), need("python3", PYTHON)],
  () => {
    test("READY=1, RELOADING=1 with MONOTONIC_USEC, READY=1, STOPPING=1, in order", async () => {
      const socket = await startNotifySocket();
      sockets.push(socket);
      const notifier = new SystemdNotifier({ NOTIFY_SOCKET: socket.path });
      const before = process.hrtime.bigint() / 1000n;
      void notifier.ready("2 workers ready");
      void notifier.reloading();
      void notifier.ready();
      await notifier.stopping();
      await socket.waitFor(/STOPPING=1/);
      const sent = socket.messages.filter((m) => !m.startsWith("BARRIER"));
      expect(sent.map((m) => m.split(" ")[0])).toEqual([
        "READY=1",
        "RELOADING=1",
        "READY=1",
        "STOPPING=1",
      ]);
      expect(sent[0]).toBe("READY=1 STATUS=2 workers ready");
      const usec = BigInt(/MONOTONIC_USEC=(\d+)/.exec(sent[1])?.[1] ?? "0");
      expect(usec >= before && usec <= process.hrtime.bigint() / 1000n).toBe(true);
    }, 30_000);

    test("settled() resolves once the queued states have left: a process may exit then", async () => {
      const socket = await startNotifySocket();
      sockets.push(socket);
      const notifier = new SystemdNotifier({ NOTIFY_SOCKET: socket.path });
      void notifier.ready();
      void notifier.stopping();
      await notifier.settled(20_000);
      // No waiting here: STOPPING=1 was read before settled() resolved.
      expect(socket.messages.some((m) => m.startsWith("STOPPING=1"))).toBe(true);
    }, 30_000);
  },
);
