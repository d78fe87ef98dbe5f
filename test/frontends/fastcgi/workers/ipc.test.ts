import { expect, test, vi } from "vitest";
import {
  decodeBytes,
  encodeBytes,
  type Message,
  MessageTable,
  sendMessage,
} from "../../../../src/frontends/fastcgi/workers/ipc.js";

test("a message goes to the handler of its kind; others are ignored", () => {
  const table = new MessageTable<string, Message>();
  const seen: string[] = [];
  table.on("ready", (ctx, message) => seen.push(`${ctx}:${message.kind}`));
  table.on("status", (ctx, message) => seen.push(`${ctx}:${message.kind}:${message.path}`));
  expect(table.dispatch("w1", { kind: "ready" })).toBe(true);
  expect(table.dispatch("w2", { kind: "status", path: "/s" })).toBe(true);
  expect(table.dispatch("w3", { kind: "unknown" })).toBe(false);
  for (const junk of [null, "ready", 3, { kind: 1 }, {}])
    expect(table.dispatch("w4", junk)).toBe(false);
  expect(seen).toEqual(["w1:ready", "w2:status:/s"]);
});

test("bytes travel as base64; nothing is an empty string", () => {
  const bytes = Uint8Array.from([0, 1, 254, 255, 10]);
  expect(decodeBytes(encodeBytes(bytes))).toEqual(Buffer.from(bytes));
  expect(encodeBytes(undefined)).toBe("");
  expect(decodeBytes("").length).toBe(0);
  expect(decodeBytes(undefined).length).toBe(0);
});

test("sendMessage on a closed channel reports instead of throwing", () => {
  const done = vi.fn();
  sendMessage({ connected: false, send: () => true }, { kind: "ready" }, undefined, done);
  sendMessage({}, { kind: "ready" }, undefined, done);
  sendMessage(
    {
      send: () => {
        throw new Error("channel closed");
      },
    },
    { kind: "ready" },
    undefined,
    done,
  );
  expect(done).toHaveBeenCalledTimes(3);
  for (const [error] of done.mock.calls) expect(error).toBeInstanceOf(Error);
});
