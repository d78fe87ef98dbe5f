import { EventEmitter } from "node:events";
import { describe, expect, test } from "vitest";
import type { WorkerOpsReport } from "../../../../src/frontends/fastcgi/ops/options.js";
import {
  idleWorker,
  type WorkerSnapshot,
} from "../../../../src/frontends/fastcgi/status/snapshot.js";
import { type Message, MessageTable } from "../../../../src/frontends/fastcgi/workers/ipc.js";
import type { Master } from "../../../../src/frontends/fastcgi/workers/master.js";
import { attachMasterOperations } from "../../../../src/frontends/fastcgi/workers/ops-master.js";
import {
  newWorkerInfo,
  type WorkerInfo,
} from "../../../../src/frontends/fastcgi/workers/worker-info.js";

/** What attachMasterOperations reads of a master, and the messages its workers were sent. */
function fakeMaster() {
  const master = Object.assign(new EventEmitter(), {
    options: { workerTimeoutMs: 4000 },
    workers: new Map<number, WorkerInfo>(),
    messages: new MessageTable<WorkerInfo, Message>(),
    startedAt: Date.now() - 60_000,
    generation: 1,
    respawns: 2,
    lastReload: { at: Date.now() - 5000, generation: 1, ok: false, error: "SyntaxError: x" },
    address: () => "/run/tsgi.sock",
    intercept: null as unknown,
  });
  const sent: Message[] = [];
  const worker = (id: number, state: WorkerInfo["state"] = "ready") => {
    const child = Object.assign(new EventEmitter(), {
      pid: 1000 + id,
      connected: true,
      send: (message: Message, _h: unknown, _o: unknown, done?: (e: Error | null) => void) => {
        sent.push(message);
        done?.(null);
        return true;
      },
    });
    const info = newWorkerInfo(id, child as never, 1, null);
    info.state = state;
    master.workers.set(id, info);
    return info;
  };
  return { master, sent, worker };
}

function report(pid: number, fields: Partial<WorkerSnapshot>, slowRequests = 0): WorkerOpsReport {
  const worker: WorkerSnapshot = {
    ...idleWorker({ pid, startTime: 1, requests: 0, rss: 1, generation: 1 }),
    ...fields,
  };
  return { worker, slowRequests, maxActive: 1 };
}

// biome-ignore lint/suspicious/noExplicitAny: the page's JSON, checked field by field
function statusPage(fake: ReturnType<typeof fakeMaster>, from: WorkerInfo): Record<string, any> {
  fake.master.messages.dispatch(from, { kind: "status-request", id: 7, query: "json&full" });
  const answer = fake.sent.at(-1)!;
  expect(answer).toMatchObject({ kind: "status-page", id: 7, contentType: "application/json" });
  return JSON.parse(String(answer.body));
}

describe("the master's status page in worker mode", () => {
  test("sums the workers' reports, keeps what exited workers counted, maps states", () => {
    const fake = fakeMaster();
    const master = fake.master as unknown as Master;
    attachMasterOperations(master, { statusPath: "/s" });
    const a = fake.worker(1);
    const b = fake.worker(2);
    const gone = fake.worker(3);
    fake.worker(4, "starting");
    fake.worker(5, "draining");
    const dispatch = (w: WorkerInfo, r: WorkerOpsReport) =>
      fake.master.messages.dispatch(w, { kind: "ops", report: r });
    dispatch(a, report(1001, { requests: 10, state: "Running" }, 1));
    dispatch(b, report(1002, { requests: 5 }));
    dispatch(gone, report(1003, { requests: 7 }, 2));
    fake.master.workers.delete(3);
    fake.master.emit("worker-exit", gone);
    fake.master.emit("worker-timeout", b); // a blocked worker killed: one slow request
    b.heartbeatAt = Date.now() - 10_000; // no heartbeat for three intervals and more
    const page = statusPage(fake, a);
    expect(page["accepted conn"]).toBe(22);
    expect(page["slow requests"]).toBe(4);
    expect(page.respawns).toBe(2);
    expect(page.generation).toBe(1);
    expect(page["last reload result"]).toBe("failed: SyntaxError: x");
    const states = Object.fromEntries(
      page.processes.map((p: { pid: number; state: string }) => [p.pid, p.state]),
    );
    expect(states).toEqual({
      1001: "Running",
      1002: "Blocked",
      1004: "Starting",
      1005: "Draining",
    });
    expect(page["active processes"]).toBe(2);
    expect(page["total processes"]).toBe(4);
  });

  test("access-log lines from workers go to the one writer; the peek is installed only for a page", () => {
    const fake = fakeMaster();
    const lines: string[] = [];
    const before = fake.master.intercept;
    attachMasterOperations(fake.master as unknown as Master, { accessLog: (l) => lines.push(l) });
    expect(fake.master.intercept).toBe(before);
    fake.master.messages.dispatch(fake.worker(1), { kind: "access-log", lines: "a\nb\n" });
    expect(lines).toEqual(["a\nb\n"]);
    attachMasterOperations(fake.master as unknown as Master, { pingPath: "/ping" });
    expect(fake.master.intercept).toBeTypeOf("function");
  });
});
