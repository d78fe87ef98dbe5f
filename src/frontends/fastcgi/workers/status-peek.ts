import type { Socket } from "node:net";
import { responseHeadText } from "../../../protocol/cgi.js";
import {
  decodePairs,
  encodeEndRequest,
  encodeStream,
  encodeStreamEnd,
  FCGI_HEADER_LEN,
  FCGI_KEEP_CONN,
  ProtocolStatus,
  RecordType,
} from "../../../protocol/fastcgi.js";
import { detachSocket } from "../detach.js";
import { pageHeaders } from "../status/page.js";
import type { RenderedStatus } from "../status/render.js";

/** The page the master answers for a path and query, or null: the request goes to a worker. */
export type MasterPage = (path: string, query: string) => RenderedStatus | null;

/** A first request bigger than this is an app's: hand it off without looking further. */
const PEEK_LIMIT = 64 * 1024;
/** A web server that sends half a request and stops: the worker's own timeouts take over. */
const PEEK_TIMEOUT_MS = 10_000;

/**
 * The master reads the first request of a new connection before handing the connection off, so
 * it answers the status and ping pages itself, from its own records, even while every worker
 * is blocked (issue 10 §4). It reads whole records (FastCGI 1.0 §3.3) up to the end of that
 * request's PARAMS: a status or ping request is answered here (and, with FCGI_KEEP_CONN, the
 * next request is read the same way); anything else goes to a worker with every byte read, at
 * a record boundary. A status location behind nginx should not use upstream keep-alive, so each
 * status request is a new connection the master sees.
 */
export function peekFirstRequest(
  socket: Socket,
  page: MasterPage,
  handOff: (socket: Socket, unread: Buffer) => void,
): void {
  let held: Buffer = Buffer.alloc(0);
  let done = false;
  const finish = (answered: boolean) => {
    done = true;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("end", onEnd);
    if (!answered) handOff(socket, Buffer.concat([held, detachSocket(socket)]));
  };
  const timer = setTimeout(() => finish(false), PEEK_TIMEOUT_MS);
  timer.unref();
  const onEnd = () => {
    if (!done) finish(false);
  };
  const onData = (chunk: Buffer) => {
    held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
    const outcome = examine(held, page);
    if (outcome.kind === "wait" && held.length <= PEEK_LIMIT) return;
    if (outcome.kind !== "answer") {
      finish(false);
      return;
    }
    socket.write(outcome.response);
    held = held.subarray(outcome.consumed);
    if (!outcome.keepConn) {
      finish(true);
      socket.end(); // a FIN after the answer, with nothing of the web server's left unread
      return;
    }
    if (held.length > 0) onData(Buffer.alloc(0));
  };
  socket.on("error", () => socket.destroy());
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.resume();
}

type Outcome =
  | { kind: "wait" }
  | { kind: "pass" }
  | { kind: "answer"; response: Buffer; consumed: number; keepConn: boolean };

interface Record {
  type: number;
  id: number;
  content: Buffer;
  end: number;
}

/** The whole records at the start of `bytes` (FastCGI 1.0 §3.3: header, content, padding). */
function* records(bytes: Buffer): Generator<Record> {
  let at = 0;
  while (bytes.length - at >= FCGI_HEADER_LEN) {
    const length = bytes.readUInt16BE(at + 4);
    const end = at + FCGI_HEADER_LEN + length + bytes[at + 6];
    if (bytes.length < end) return;
    const content = bytes.subarray(at + FCGI_HEADER_LEN, at + FCGI_HEADER_LEN + length);
    yield { type: bytes[at + 1], id: bytes.readUInt16BE(at + 2), content, end };
    at = end;
  }
}

/** What to do with the bytes held so far: wait for more, pass the connection on, or answer. */
function examine(bytes: Buffer, page: MasterPage): Outcome {
  let id = -1;
  let keepConn = false;
  const params: Buffer[] = [];
  let rendered: RenderedStatus | null = null;
  for (const record of records(bytes)) {
    if (id === -1) {
      // Only a request that starts right here is ours to look at (GET_VALUES etc. are a worker's).
      if (record.type !== RecordType.BEGIN_REQUEST || record.content.length < 8) return PASS;
      id = record.id;
      keepConn = (record.content[2] & FCGI_KEEP_CONN) !== 0;
      continue;
    }
    if (record.id !== id) return PASS;
    if (rendered === null && record.type === RecordType.PARAMS) {
      if (record.content.length > 0) {
        params.push(record.content);
        continue;
      }
      rendered = pageFor(Buffer.concat(params), page);
      if (rendered === null) return PASS;
      continue;
    }
    // The page is known: answer once the request's STDIN has ended (§5.3), so no byte of it
    // is left for whoever reads this connection next.
    if (rendered !== null && record.type === RecordType.STDIN && record.content.length === 0) {
      return {
        kind: "answer",
        response: encodeAnswer(id, rendered),
        consumed: record.end,
        keepConn,
      };
    }
    if (rendered === null || record.type !== RecordType.STDIN) return PASS;
  }
  return WAIT;
}

const PASS: Outcome = { kind: "pass" };
const WAIT: Outcome = { kind: "wait" };

function pageFor(content: Buffer, page: MasterPage): RenderedStatus | null {
  let pairs: Array<[string, string]>;
  try {
    pairs = decodePairs(content, "PARAMS");
  } catch {
    return null; // malformed: the worker answers it with its error
  }
  const env = new Map(pairs);
  const path = `${env.get("SCRIPT_NAME") ?? ""}${env.get("PATH_INFO") ?? ""}`;
  return page(path, env.get("QUERY_STRING") ?? "");
}

function encodeAnswer(id: number, page: RenderedStatus): Buffer {
  const body = Buffer.from(page.body, "utf8");
  const head = Buffer.from(responseHeadText("200 OK", pageHeaders(page, body.length)), "latin1");
  const pieces: Uint8Array[] = [];
  encodeStream(RecordType.STDOUT, id, Buffer.concat([head, body]), pieces);
  pieces.push(encodeStreamEnd(RecordType.STDOUT, id));
  pieces.push(encodeEndRequest(id, 0, ProtocolStatus.REQUEST_COMPLETE));
  return Buffer.concat(pieces);
}
