import type { Socket } from "node:net";
import { EnvironShapes } from "../../core/environ-shapes.js";
import { ClientGoneError, LimitError, ProtocolError } from "../../core/errors.js";
import {
  decodeBeginRequest,
  encodeEndRequest,
  encodeUnknownType,
  FCGI_NULL_REQUEST_ID,
  PairStringCache,
  ProtocolStatus,
  RecordDecoder,
  RecordType,
  recordTypeName,
} from "../../protocol/fastcgi.js";
import { type Refusal, refusal } from "./admission.js";
import type { ServerContext } from "./context.js";
import { detachSocket, type ReleaseTarget } from "./detach.js";
import { answerManagement } from "./management.js";
import { Output } from "./output.js";
import { endWithGrace, peerLabel } from "./peer.js";
import { FcgiRequest, type RequestHost } from "./request.js";
import { sweepRequests } from "./timeouts.js";

const EMPTY = Buffer.alloc(0);

/**
 * One connection from a web server: a record decoder, the requests in flight keyed by id
 * (FastCGI 1.0 §3.3, multiplexed), and the output they share. Bad bytes close this
 * connection only, with one log line; nothing thrown here reaches the process.
 */
export class FcgiConnection implements RequestHost {
  readonly ctx: ServerContext;
  readonly output: Output;
  readonly label: string;
  readonly paramStrings = new PairStringCache();
  readonly environShapes = new EnvironShapes();
  readonly #socket: Socket;
  readonly #decoder = new RecordDecoder();
  /** The active requests (§3.3: from BEGIN_REQUEST until their END_REQUEST is sent). */
  readonly #requests = new Map<number, FcgiRequest>();
  readonly #onGone: (connection: FcgiConnection) => void;
  #lastActive: number;
  #closed = false;
  #paused = 0;
  #backedUp = false;
  /** A request without FCGI_KEEP_CONN has been answered: close once the others are too. */
  #closeWhenIdle = false;
  /** A response broke: the connection closes without its END_REQUEST, after the others. */
  #broken = false;
  /**
   * Requests that borrowed PARAMS bytes from the chunk being handled (the first
   * #borrowingCount): they adopt them when it is done. A request whose PARAMS end in the chunk
   * that carried them, nearly every one, so copies nothing, and no view outlives its chunk.
   */
  readonly #borrowing: Array<FcgiRequest | undefined> = [];
  #borrowingCount = 0;
  /** Set by releaseWhenIdle: where this connection goes once it has no request (the hand-off). */
  #releaseTo: ReleaseTarget | null = null;
  #releasing = false;

  constructor(socket: Socket, ctx: ServerContext, onGone: (connection: FcgiConnection) => void) {
    this.ctx = ctx;
    this.#socket = socket;
    this.#onGone = onGone;
    this.label = peerLabel(socket);
    this.#lastActive = ctx.clock;
    this.output = new Output(socket);
    socket.setNoDelay(true);
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  /** Requests in flight on this connection. */
  get size(): number {
    return this.#requests.size;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    this.#lastActive = this.ctx.clock;
    this.output.hold();
    try {
      this.#decoder.feed(chunk, this.#onRecord);
    } catch (error) {
      this.fail(error);
    }
    if (this.#borrowingCount > 0) this.#adoptParams();
    this.output.release();
    if (this.output.overloaded && !this.#backedUp) this.#waitForReader();
    if (this.#releaseTo !== null) this.#endIfIdle();
  };

  /** Bytes read before this connection was adopted (a hand-off): decoded as if just arrived. */
  feed(bytes: Buffer): void {
    if (bytes.length > 0) this.#onData(bytes);
  }

  // Read no more from a peer that does not read what we answer (UNKNOWN_TYPE, GET_VALUES_RESULT,
  // refusals for a flood of records): the answers would pile up in memory without bound.
  // 'drain' (or the close) lets it go on.
  #waitForReader(): void {
    this.#backedUp = true;
    this.pauseInput();
    this.output.drained().then(() => {
      this.#backedUp = false;
      this.resumeInput();
    });
  }

  #adoptParams(): void {
    for (let i = 0; i < this.#borrowingCount; i++) {
      this.#borrowing[i]?.adoptParams();
      this.#borrowing[i] = undefined;
    }
    this.#borrowingCount = 0;
  }

  // FastCGI 1.0 §3.3: management records carry request id 0, application records any other.
  readonly #onRecord = (type: number, id: number, content: Uint8Array): void => {
    if (this.#closed) return;
    if (id === FCGI_NULL_REQUEST_ID) {
      answerManagement(type, content, this.ctx.limits, this.output);
      return;
    }
    switch (type) {
      case RecordType.BEGIN_REQUEST:
        this.#begin(id, content);
        break;
      case RecordType.ABORT_REQUEST:
        this.#abort(id);
        break;
      case RecordType.PARAMS:
        this.#params(id, content);
        break;
      case RecordType.STDIN:
        this.#stdin(id, content);
        break;
      default:
        this.#unexpected(type, id);
    }
  };

  // §5.1
  #begin(id: number, content: Uint8Array): void {
    const begin = decodeBeginRequest(id, content);
    if (this.#requests.has(id)) {
      throw new ProtocolError(`BEGIN_REQUEST for request ${id}, which is still active`);
    }
    const refused = refusal(begin.role, this.ctx, this.#requests.size, this.#broken);
    if (refused === null) {
      this.#requests.set(id, new FcgiRequest(this, id, begin.keepConn));
    } else {
      this.#refuse(id, begin.keepConn, refused);
    }
  }

  #refuse(id: number, keepConn: boolean, { status, why }: Refusal): void {
    this.output.record(encodeEndRequest(id, 0, status));
    if (!keepConn) this.#closeWhenIdle = true;
    this.#endIfIdle();
    if (why === undefined) return;
    this.ctx.overloadLog.line(
      this.ctx.clock,
      `tsgi: fastcgi connection ${this.label}: request ${id} refused with FCGI_OVERLOADED: ${why}`,
    );
  }

  // §5.4: the web server gave up on a request; answer with END_REQUEST, write nothing else.
  #abort(id: number): void {
    const request = this.#request(id);
    if (request === null) return;
    this.#endEarly(request, new ClientGoneError(`FastCGI ABORT_REQUEST for request ${id}`), 0);
  }

  // §5.2
  #params(id: number, content: Uint8Array): void {
    const request = this.#request(id);
    if (request === null) return;
    if (request.phase !== "params") {
      throw new ProtocolError(`PARAMS for request ${id}: arrived after its PARAMS ended`);
    }
    try {
      if (content.length === 0) {
        request.start();
      } else {
        request.addParams(content);
        this.#borrowing[this.#borrowingCount++] = request;
      }
    } catch (error) {
      // Past a limit: that request is refused, the connection goes on. Bad bytes are fatal.
      if (!(error instanceof LimitError)) throw error;
      request.refuse(error);
    }
  }

  // §5.3
  #stdin(id: number, content: Uint8Array): void {
    const request = this.#request(id);
    if (request === null) return;
    if (request.phase === "params") {
      throw new ProtocolError(`STDIN for request ${id}: arrived before its PARAMS ended`);
    }
    request.stdin(content);
  }

  // DATA (a FILTER's second stream) is not read by a RESPONDER, and §3.3 has records of an
  // inactive id ignored: a FILTER request refused with UNKNOWN_ROLE still sends its DATA. A type
  // newer than FastCGI 1.0 gets UNKNOWN_TYPE, as §4.2 answers management records, and the
  // connection goes on. A type only an application sends means the peer is confused.
  #unexpected(type: number, id: number): void {
    if (type > RecordType.UNKNOWN_TYPE) {
      this.output.record(encodeUnknownType(type));
      return;
    }
    if (type === RecordType.DATA || !this.#requests.has(id)) return;
    throw new ProtocolError(
      `${recordTypeName(type)} record for request ${id}: not expected from a web server`,
    );
  }

  /**
   * The active request with this id, or null: §3.3, "while a request ID R is inactive, the
   * application ignores records with requestId == R, except for FCGI_BEGIN_REQUEST". Late
   * records of a request that ended, or aborted, land here too.
   */
  #request(id: number): FcgiRequest | null {
    return this.#requests.get(id) ?? null;
  }

  // --- RequestHost ----------------------------------------------------------------------

  requestEnded(request: FcgiRequest): void {
    this.#forget(request);
  }

  /**
   * Design §1 rule 10: a response that broke after its headers must not look complete, and
   * FastCGI's only way to say so is to close the connection without its END_REQUEST. Requests
   * multiplexed beside it are independent (§3.3): they are answered first, and the web server
   * gets no new ones on this connection meanwhile.
   */
  breakConnection(request: FcgiRequest, error: unknown): void {
    const why = error instanceof Error ? error.message : String(error);
    this.#broken = true;
    this.#closeWhenIdle = true;
    this.#forget(request);
    const others = this.#requests.size;
    const when = others === 0 ? "" : ` once the ${others} other request(s) on it are answered`;
    this.ctx.log(
      `tsgi: fastcgi connection ${this.label}: request ${request.id} broke after its headers were sent (${why}); closing without END_REQUEST${when}`,
    );
  }

  /**
   * Like destroy(), but what the socket still holds goes out first: the broken response's
   * STDERR lines (the stack) reach the web server's log even when the socket is congested. A
   * web server that stops reading is cut off after BREAK_GRACE_MS.
   */
  #closeAfterWrites(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelAll();
    this.output.close();
    endWithGrace(this.#socket);
  }

  /**
   * The process is shutting down: answer the requests in flight (and any the web server sends
   * before it sees the close), then end the connection. An idle one ends now.
   */
  drain(): void {
    if (this.#closed) return;
    this.#closeWhenIdle = true;
    this.#endIfIdle();
  }

  /**
   * Hands the connection over instead of closing it (issue 10 §2): once it has no request and
   * its input stops at a record boundary, the socket leaves this process through `give`, with
   * every byte we wrote gone out and every byte read but not yet decoded passed along, so the
   * web server never sees it close. A connection that must close anyway (KEEP_CONN clear, a
   * broken response, the web server's FIN) closes as before.
   */
  releaseWhenIdle(give: ReleaseTarget): void {
    if (this.#closed) return;
    this.#releaseTo = give;
    this.#endIfIdle();
  }

  // FastCGI 1.0 §3.3: records never split across owners. A partial record read means a request
  // is on its way: it is answered here, and the connection leaves after it.
  #release(give: ReleaseTarget): void {
    if (this.#releasing || this.#decoder.buffered) return;
    this.#releasing = true;
    this.pauseInput();
    this.output.flush();
    // A socket sent away takes its pending writes with it unsent: wait until they completed.
    this.#socket.write(EMPTY, () => this.#handOver(give));
  }

  #handOver(give: ReleaseTarget): void {
    if (this.#closed) return;
    this.#closed = true;
    const socket = this.#socket;
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("close", this.#onClose);
    this.output.detach();
    const unread = detachSocket(socket);
    this.#onGone(this);
    socket.off("error", this.#onError);
    if (socket.readableEnded || socket.destroyed) {
      socket.on("error", () => {});
      socket.end(); // the web server closed its side meanwhile: nothing to hand over
      return;
    }
    give(socket, unread);
  }

  pauseInput(): void {
    if (this.#paused++ === 0) this.#socket.pause();
  }

  resumeInput(): void {
    if (--this.#paused === 0 && !this.#closed) {
      // Time spent paused was ours, not the web server's: its idle clock starts now.
      this.#lastActive = this.ctx.clock;
      this.#socket.resume();
    }
  }

  // --- lifetime ---------------------------------------------------------------------------

  /** Bad bytes or a broken invariant: log one line naming it, close this connection only. */
  fail(error: unknown): void {
    if (this.#closed) return;
    const why = error instanceof Error ? error.message : String(error);
    this.ctx.log(`tsgi: fastcgi connection ${this.label}: ${why}`);
    this.destroy();
  }

  /** Closes the connection now, aborting every request on it. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelAll();
    this.output.close();
    this.#socket.destroy();
  }

  /** Params and idle timeouts, checked by the server's coarse sweep. */
  sweep(now: number): void {
    if (this.#closed) return;
    const { idleTimeoutMs } = this.ctx.limits;
    if (this.#requests.size === 0) {
      if (now - this.#lastActive >= idleTimeoutMs) this.destroy();
      return;
    }
    // A web server that went quiet while a request waits for its STDIN is an idle connection
    // too; one we stopped reading (backpressure) is not.
    const silent = this.#paused === 0 && now - this.#lastActive >= idleTimeoutMs;
    const dropped = sweepRequests(
      this.#requests.values(),
      now,
      this.ctx.limits,
      silent,
      this.#timedOut,
    );
    // A request answered 504 leaves the connection as reusable as any answered request.
    if (dropped && this.#requests.size === 0) this.output.endAfterFlush();
  }

  readonly #timedOut = (request: FcgiRequest, why: string): void => {
    this.ctx.log(`tsgi: fastcgi connection ${this.label}: request ${request.id}: ${why}; dropped`);
    this.#endEarly(request, new ClientGoneError(`request ${request.id}: ${why}`), 1);
  };

  /**
   * Ends a request before its app did (an ABORT_REQUEST, or input that can never come):
   * tsgi.signal fires, and END_REQUEST with `appStatus` is all the web server gets (§5.4, §5.5).
   */
  #endEarly(request: FcgiRequest, reason: ClientGoneError, appStatus: number): void {
    request.cancel(reason);
    this.output.record(encodeEndRequest(request.id, appStatus, ProtocolStatus.REQUEST_COMPLETE));
    this.#forget(request);
  }

  #forget(request: FcgiRequest): void {
    if (this.#requests.get(request.id) !== request) return;
    this.#requests.delete(request.id);
    this.#lastActive = this.ctx.clock;
    // §5.1: FCGI_KEEP_CONN clear -> the application closes the connection after the request.
    // Requests multiplexed beside it are answered first, whatever their own flag says.
    if (!request.keepConn) this.#closeWhenIdle = true;
    this.#endIfIdle();
  }

  #endIfIdle(): void {
    if (this.#closed || this.#requests.size > 0) return;
    if (this.#releaseTo !== null && !this.#closeWhenIdle && !this.#broken) {
      this.#release(this.#releaseTo);
      return;
    }
    if (!this.#closeWhenIdle) return;
    if (!this.#broken) {
      this.output.endAfterFlush();
      return;
    }
    this.output.flush();
    this.#closeAfterWrites();
  }

  #cancelAll(): void {
    if (this.#requests.size === 0) return;
    const reason = new ClientGoneError(`FastCGI connection ${this.label} closed`);
    for (const request of [...this.#requests.values()]) {
      request.cancel(reason);
      this.#forget(request);
    }
  }

  /**
   * The web server shut down its sending side (FIN) and may still read, so requests with all
   * their input are answered before the connection ends. One still owed PARAMS or STDIN can
   * never get them: it ends as if aborted. A peer that closed outright looks the same until a
   * write fails; that write's error ends the rest.
   */
  readonly #onEnd = (): void => {
    if (this.#closed) return;
    for (const request of [...this.#requests.values()]) {
      if (!request.awaitingInput) continue;
      const why = `FastCGI connection ${this.label} closed its side before request ${request.id}'s input ended`;
      this.#endEarly(request, new ClientGoneError(why), 1);
    }
    this.#closeWhenIdle = true;
    this.#endIfIdle();
  };

  readonly #onError = (error: Error): void => {
    // ECONNRESET/EPIPE: the web server went away; 'close' follows and aborts what is left.
    const code = (error as { code?: string }).code;
    if (code !== "ECONNRESET" && code !== "EPIPE") this.fail(error);
  };

  readonly #onClose = (): void => {
    if (!this.#closed) {
      this.#closed = true;
      this.#cancelAll();
      this.output.close();
    }
    this.#onGone(this);
  };
}

export { peerLabel } from "./peer.js";
