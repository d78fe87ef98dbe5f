import type { ChildProcess } from "node:child_process";
import { describe, expect, test } from "vitest";
import { pickWorker } from "../../../../src/frontends/fastcgi/workers/dispatch.js";
import {
  newWorkerInfo,
  type WorkerInfo,
  type WorkerState,
} from "../../../../src/frontends/fastcgi/workers/worker-info.js";

function worker(
  id: number,
  state: WorkerState,
  inFlight = 0,
  connections = 0,
  heartbeatAt = 1000,
): WorkerInfo {
  const info = newWorkerInfo(id, { pid: 100 + id } as ChildProcess, 0, null, 0);
  return Object.assign(info, { state, inFlight, connections, heartbeatAt });
}

describe("pickWorker", () => {
  test.each([
    ["no worker", [], null],
    ["none ready", [worker(1, "starting"), worker(2, "draining"), worker(3, "retiring")], null],
    ["the only ready one", [worker(1, "starting"), worker(2, "ready", 9, 9)], 2],
    [
      "fewest requests in flight",
      [worker(1, "ready", 3, 1), worker(2, "ready", 1, 5), worker(3, "ready", 2, 0)],
      2,
    ],
    ["then fewest connections", [worker(1, "ready", 1, 4), worker(2, "ready", 1, 2)], 2],
    ["never a draining one, however idle", [worker(1, "draining"), worker(2, "ready", 5, 5)], 2],
  ])("%s", (_name, workers, expected) => {
    expect(pickWorker(workers)?.id ?? null).toBe(expected);
  });

  test("a tie goes to the worker that got a connection least recently", () => {
    const workers = [worker(1, "ready"), worker(2, "ready"), worker(3, "ready")];
    const lastSent = new Map([
      [1, 5],
      [2, 3],
      [3, 4],
    ]);
    expect(pickWorker(workers, lastSent)?.id).toBe(2);
  });

  test("a worker that missed its heartbeats gets connections only when no other is ready", () => {
    const stale = worker(1, "ready", 0, 0, 100);
    const busy = worker(2, "ready", 9, 9, 5000);
    expect(pickWorker([stale, busy], new Map(), 1000)?.id).toBe(2);
    expect(pickWorker([stale], new Map(), 1000)?.id).toBe(1);
  });
});
