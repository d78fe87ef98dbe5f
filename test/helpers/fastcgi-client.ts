/**
 * A small FastCGI client for tests (FastCGI 1.0 §3, §5): connects, sends BEGIN_REQUEST,
 * PARAMS and STDIN, and collects STDOUT, STDERR and END_REQUEST per request id. `send`
 * writes raw bytes for malformed-input tests.
 */
import { connect, type Socket } from "node:net";
import { parseResponseHead } from "../../src/protocol/cgi.js";
import {
  decodeEndRequest,
  decodePairs,
  encodeBeginRequest,
  encodePairs,
  encodeRecord,
  FCGI_KEEP_CONN,
  type FcgiRecord,
  RecordDecoder,
  RecordType,
  Role,
} from "../../src/protocol/fastcgi.js";

export interface FcgiResponse {
  stdout: Buffer;
  stderr: Buffer;
  appStatus: number;
  protocolStatus: number;
  /** The CGI head parsed out of stdout (null when stdout has none). */
  status: string | null;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface RequestOptions {
  keepConn?: boolean;
  role?: number;
  /** STDIN chunks (each sent as records of at most 65535 bytes); default none. */
  body?: Uint8Array | Uint8Array[];
  /** Split the encoded PARAMS content into records of this size (to test straddling). */
  paramsRecordSize?: number;
}

interface Pending {
  stdout: Buffer[];
  stderr: Buffer[];
  waiters: Array<{ resolve: (r: FcgiResponse) => void; reject: (e: Error) => void }>;
}

export class FcgiClient {
  readonly socket: Socket;
  /** Every record received, in order (content copied). */
  readonly records: FcgiRecord[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  /** False: STDOUT content is counted (stdoutBytes), not kept, for very large responses. */
  keepStdout = true;
  stdoutBytes = 0;
  readonly #decoder = new RecordDecoder();
  readonly #pending = new Map<number, Pending>();
  readonly #recordWaiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    // Records go out as separate small writes: without this, Nagle holds each for an ACK.
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.#onData(chunk));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.isClosed = true;
        for (const [id, pending] of this.#pending) {
          for (const w of pending.waiters) {
            w.reject(new Error(`connection closed before END_REQUEST for request ${id}`));
          }
          pending.waiters = [];
        }
        for (const wake of this.#recordWaiters.splice(0)) wake();
        resolve();
      });
    });
  }

  /** `"HOST:PORT"` or a Unix socket path. */
  static connect(address: string): Promise<FcgiClient> {
    return new Promise((resolve, reject) => {
      const colon = address.lastIndexOf(":");
      const socket = address.startsWith("/")
        ? connect(address)
        : connect(
            Number(address.slice(colon + 1)),
            address.slice(0, colon).replace(/^\[|\]$/g, ""),
          );
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new FcgiClient(socket));
      });
    });
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  begin(id: number, options: { keepConn?: boolean; role?: number } = {}): void {
    const flags = options.keepConn === false ? 0 : FCGI_KEEP_CONN;
    this.send(encodeBeginRequest(id, options.role ?? Role.RESPONDER, flags));
  }

  params(id: number, params: Record<string, string>, recordSize = 65535): void {
    const content = encodePairs(Object.entries(params));
    for (let at = 0; at < content.length; at += recordSize) {
      this.send(encodeRecord(RecordType.PARAMS, id, content.subarray(at, at + recordSize)));
    }
    this.send(encodeRecord(RecordType.PARAMS, id, new Uint8Array(0)));
  }

  stdin(id: number, data: Uint8Array): void {
    for (let at = 0; at < data.length; at += 65535) {
      this.send(encodeRecord(RecordType.STDIN, id, data.subarray(at, at + 65535)));
    }
    if (data.length === 0) this.send(encodeRecord(RecordType.STDIN, id, new Uint8Array(0)));
  }

  abort(id: number): void {
    this.send(encodeRecord(RecordType.ABORT_REQUEST, id, new Uint8Array(0)));
  }

  /** Sends a whole request and resolves with its response. */
  request(
    id: number,
    params: Record<string, string>,
    options: RequestOptions = {},
  ): Promise<FcgiResponse> {
    const response = this.response(id);
    this.begin(id, options);
    this.params(id, params, options.paramsRecordSize);
    const chunks =
      options.body === undefined ? [] : Array.isArray(options.body) ? options.body : [options.body];
    for (const chunk of chunks) if (chunk.length > 0) this.stdin(id, chunk);
    this.stdin(id, new Uint8Array(0));
    return response;
  }

  /** Resolves at the next END_REQUEST for `id`; rejects if the connection closes first. */
  response(id: number): Promise<FcgiResponse> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) {
        reject(new Error(`connection closed before END_REQUEST for request ${id}`));
        return;
      }
      this.#slot(id).waiters.push({ resolve, reject });
    });
  }

  /** GET_VALUES (§4.1): resolves with the pairs of GET_VALUES_RESULT. */
  async getValues(names: string[]): Promise<Array<[string, string]>> {
    const seen = this.records.length;
    this.send(encodeRecord(RecordType.GET_VALUES, 0, encodePairs(names.map((n) => [n, ""]))));
    const result = await this.nextRecord((r) => r.type === RecordType.GET_VALUES_RESULT, seen);
    return decodePairs(result.content, "GET_VALUES_RESULT");
  }

  /** The first record from index `from` on that matches; waits for it (rejects on close). */
  async nextRecord(match: (r: FcgiRecord) => boolean, from = 0, ms = 5000): Promise<FcgiRecord> {
    const deadline = Date.now() + ms;
    for (let i = from; ; ) {
      for (; i < this.records.length; i++) if (match(this.records[i])) return this.records[i];
      if (this.isClosed) throw new Error("connection closed before the record arrived");
      if (Date.now() > deadline) throw new Error("timed out waiting for a record");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#recordWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  #slot(id: number): Pending {
    let pending = this.#pending.get(id);
    if (!pending) {
      pending = { stdout: [], stderr: [], waiters: [] };
      this.#pending.set(id, pending);
    }
    return pending;
  }

  #onData(chunk: Buffer): void {
    this.#decoder.feed(chunk, (type, requestId, content) => {
      if (type === RecordType.STDOUT) this.stdoutBytes += content.length;
      if (type === RecordType.STDOUT && !this.keepStdout) {
        this.records.push({ type, requestId, content: new Uint8Array(0) });
        return;
      }
      const copy = Buffer.from(content);
      this.records.push({ type, requestId, content: copy });
      if (type === RecordType.STDOUT) this.#slot(requestId).stdout.push(copy);
      else if (type === RecordType.STDERR) this.#slot(requestId).stderr.push(copy);
      else if (type === RecordType.END_REQUEST) this.#ended(requestId, copy);
    });
    for (const wake of this.#recordWaiters.splice(0)) wake();
  }

  #ended(id: number, content: Buffer): void {
    const pending = this.#slot(id);
    this.#pending.delete(id);
    const { appStatus, protocolStatus } = decodeEndRequest(content);
    const stdout = Buffer.concat(pending.stdout);
    const head = parseResponseHead(stdout);
    const response: FcgiResponse = {
      stdout,
      stderr: Buffer.concat(pending.stderr),
      appStatus,
      protocolStatus,
      status: head?.status ?? null,
      headers: head?.headers ?? [],
      body: head ? stdout.subarray(head.bodyOffset) : stdout,
    };
    const waiter = pending.waiters.shift();
    if (pending.waiters.length > 0) this.#slot(id).waiters.push(...pending.waiters);
    waiter?.resolve(response);
  }
}

/** Minimal CGI meta-variables for a request. */
export function cgiParams(path = "/", extra: Record<string, string> = {}): Record<string, string> {
  const query = path.indexOf("?");
  return {
    GATEWAY_INTERFACE: "CGI/1.1",
    REQUEST_METHOD: "GET",
    SCRIPT_NAME: "",
    PATH_INFO: query >= 0 ? path.slice(0, query) : path,
    QUERY_STRING: query >= 0 ? path.slice(query + 1) : "",
    REQUEST_URI: path,
    SERVER_NAME: "localhost",
    SERVER_PORT: "80",
    SERVER_PROTOCOL: "HTTP/1.1",
    REMOTE_ADDR: "127.0.0.1",
    ...extra,
  };
}
