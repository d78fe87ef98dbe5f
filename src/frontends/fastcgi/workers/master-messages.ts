import type { Socket } from "node:net";
import { decodeBytes } from "./ipc.js";
import type { Master } from "./master.js";
import { overLimit } from "./recycle.js";

/**
 * The messages every master understands (ipc.ts lists them). Features added later register
 * their own kinds the same way, from their own files.
 */
export function registerCoreMessages(master: Master): void {
  master.messages
    .on("ready", (worker) => master.settle(worker, null))
    .on("failed", (worker, message) => {
      const error = String(message.error ?? "the app failed to load");
      worker.extra.loadError = error;
      master.settle(worker, error);
    })
    .on("heartbeat", (worker, message) => {
      worker.heartbeatAt = Date.now();
      worker.inFlight = Number(message.active) || 0;
      worker.connections = Number(message.connections) || 0;
      worker.requests = Number(message.requests) || 0;
      worker.rss = Number(message.rss) || 0;
      const why = worker.state === "ready" ? overLimit(master.options, worker.rss) : null;
      if (why !== null) master.rotation.replace(worker, why, false);
    })
    .on("handback", (_worker, message, handle) => {
      if (handle && "remoteAddress" in handle) {
        master.takeBack(handle as Socket, decodeBytes(message.unread));
      }
    })
    .on("retire", (worker, message) => {
      const reason = String(message.reason ?? "asked to be replaced");
      master.rotation.replace(worker, reason, message.urgent === true);
    });
}
