/**
 * The messages between the master and its workers (issue 10 §1), over Node's IPC channel, and a
 * table of handlers keyed by `kind`: a feature adds a message by registering its handler in
 * its own file (`masterMessages.on("status", ...)`), not by editing the master's loop.
 *
 * A connection travels as the message's handle (`child.send(msg, socket)`), with the bytes
 * already read from it base64-encoded in `unread` (the hand-off, issue 10 §2).
 */
import type { Server, Socket } from "node:net";

/** Every message: a `kind` and its fields (JSON). The kinds of the core are listed below. */
export interface Message {
  kind: string;
  [field: string]: unknown;
}

/**
 * Worker -> master:
 * - `ready`: the app loaded; send connections.
 * - `failed {error}`: the app failed to load (one line, the app's error).
 * - `heartbeat {active, connections, requests, rss}`: sent from the worker's event loop, so it
 *   proves the loop runs (`--worker-timeout`), and says how busy the worker is.
 * - `handback {unread}` + socket: an idle connection handed back while draining.
 * - `retire {reason, urgent}`: replace me (`--max-requests` reached, an uncaught exception).
 */
export type WorkerMessage = Message;

/**
 * Master -> worker:
 * - `conn {unread}` + socket: a connection to serve, with the bytes already read from it.
 * - `listen` + server: accept on the shared socket too (`--balance kernel`).
 * - `drain {graceMs}`: take no more, hand idle connections back, finish the rest, exit.
 * - `stop {graceMs}`: graceful stop (the master stops too): finish in flight, close, exit.
 * - `close`: fast stop: abort what is in flight and exit.
 * - `reopen-logs`: SIGUSR1.
 */
export type MasterMessage = Message;

export type Handle = Socket | Server | undefined;

export type MessageHandler<Context, Message> = (
  context: Context,
  message: Message,
  handle: Handle,
) => void;

/** Handlers keyed by message kind; an unknown kind is ignored (a newer peer may send more). */
export class MessageTable<Context, Message extends { kind: string }> {
  readonly #handlers = new Map<string, MessageHandler<Context, Message>>();

  /** Registers the handler for `kind`; a second registration replaces the first. */
  on(kind: string, handler: MessageHandler<Context, Message>): this {
    this.#handlers.set(kind, handler);
    return this;
  }

  /** Runs the handler of `message.kind`; false when there is none. */
  dispatch(context: Context, message: unknown, handle?: Handle): boolean {
    if (!isMessage(message)) return false;
    const handler = this.#handlers.get(message.kind);
    if (!handler) return false;
    handler(context, message as Message, handle);
    return true;
  }
}

export function isMessage(value: unknown): value is { kind: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string"
  );
}

/** Bytes for a message field (JSON carries no binary). */
export function encodeBytes(bytes: Uint8Array | undefined): string {
  return bytes && bytes.length > 0 ? Buffer.from(bytes).toString("base64") : "";
}

export function decodeBytes(text: unknown): Buffer {
  return typeof text === "string" && text.length > 0 ? Buffer.from(text, "base64") : EMPTY;
}

const EMPTY = Buffer.alloc(0);

/** What can send IPC messages: a ChildProcess, or `process` in a worker. */
export interface Channel {
  send?(
    message: unknown,
    handle?: unknown,
    options?: unknown,
    callback?: (error: Error | null) => void,
  ): boolean;
  connected?: boolean;
}

/**
 * Sends `message` (with `handle`), never throwing. `done` runs once it was written (null) or
 * could not be (the peer died: the caller closes the socket it meant to pass). A handle is in
 * the other process once written; handles queue behind each other until then.
 */
export function sendMessage(
  channel: Channel,
  message: Message,
  handle?: Socket | Server,
  done?: (error: Error | null) => void,
): void {
  if (!channel.send || channel.connected === false) {
    done?.(new Error("the IPC channel is closed"));
    return;
  }
  try {
    channel.send(message, handle, { keepOpen: false }, (error) => done?.(error ?? null));
  } catch (error) {
    done?.(error instanceof Error ? error : new Error(String(error)));
  }
}
