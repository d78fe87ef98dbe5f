import { RequestAbort } from "../../core/abort.js";
import { buildEnviron } from "../../core/environ.js";
import type { EnvironShapes } from "../../core/environ-shapes.js";
import { badRequestPage, type GatewayPage, gatewayPage } from "../../core/error-app.js";
import { LimitError, ProtocolError } from "../../core/errors.js";
import { startApp } from "../../core/run.js";
import type { Headers, Sink } from "../../core/types.js";
import { responseHeadText } from "../../protocol/cgi.js";
import { type PairStringCache, ParamsAccumulator, RecordType } from "../../protocol/fastcgi.js";
import type { ServerContext } from "./context.js";
import type { Output } from "./output.js";
import { FcgiErrors, type StderrTarget } from "./stderr.js";
import { type FlowControl, StdinQueue } from "./stdin.js";
import { StdoutWriter } from "./stdout.js";

/** The connection, as one of its requests sees it. */
export interface RequestHost extends FlowControl {
  readonly ctx: ServerContext;
  /** The peer, for log lines ("127.0.0.1:51234"). */
  readonly label: string;
  readonly output: Output;
  /** Strings of the PARAMS decoded on this connection, reused by the next request's. */
  readonly paramStrings: PairStringCache;
  /** The shapes of this connection's environs: the same names make the same fast object. */
  readonly environShapes: EnvironShapes;
  /** The request sent END_REQUEST: forget its id. */
  requestEnded(request: FcgiRequest): void;
  /** The response broke after its headers: close the connection without END_REQUEST. */
  breakConnection(request: FcgiRequest, error: unknown): void;
}

/** params: collecting FCGI_PARAMS; running: the app has it; done: END_REQUEST sent or aborted. */
export type RequestPhase = "params" | "running" | "done";

const NO_BYTES = new Uint8Array(0);

/**
 * One FastCGI RESPONDER request (FastCGI 1.0 §6.2): PARAMS in, the app run through the core,
 * STDIN as `tsgi.input`, and the request's own Sink writing STDOUT/STDERR records.
 */
export class FcgiRequest extends StdoutWriter implements Sink, StderrTarget {
  phase: RequestPhase = "params";
  readonly keepConn: boolean;
  /** ctx.clock at BEGIN_REQUEST, for the params timeout. */
  readonly began: number;
  /** ctx.clock when its PARAMS ended and the app started, for the request timeout. */
  started = 0;
  readonly #host: RequestHost;
  #params: ParamsAccumulator | null;
  #stdin: StdinQueue | null = null;
  #abort: RequestAbort | null = null;
  /** The CGI response head (latin-1 byte string) until it leaves with the first chunk. */
  #head: string | null = null;
  #stderrUsed = false;
  /**
   * This request counts against maxReqs until its app run settled, not until its id was
   * forgotten: an app that ignores tsgi.signal keeps running after an abort, and clients that
   * leave at once must not be able to start runs without bound.
   */
  #holdsSlot = true;

  constructor(host: RequestHost, id: number, keepConn: boolean) {
    super(id);
    this.#host = host;
    this.keepConn = keepConn;
    this.began = host.ctx.clock;
    host.ctx.active++;
    const { maxParamsBytes, maxParamsPairs } = host.ctx.limits;
    this.#params = new ParamsAccumulator(
      id,
      { maxBytes: maxParamsBytes, maxPairs: maxParamsPairs },
      host.paramStrings,
    );
  }

  /**
   * One PARAMS record's content; a pair may straddle records (§5.2). Throws LimitError. The
   * bytes are borrowed from the socket's chunk until `adoptParams()`.
   */
  addParams(content: Uint8Array): void {
    this.#params?.add(content, true);
  }

  /** Copies the PARAMS bytes still borrowed: the connection is done with their chunk. */
  adoptParams(): void {
    this.#params?.adopt();
  }

  /** The empty PARAMS record: decode them and start the app. Throws on malformed PARAMS. */
  start(): void {
    const params = this.#params!.finishList();
    this.#params = null;
    this.phase = "running";
    this.started = this.#host.ctx.clock;
    this.#stdin = new StdinQueue(this.#host);
    this.#abort = new RequestAbort();
    let environ: ReturnType<typeof buildEnviron>;
    try {
      environ = buildEnviron(params, {
        source: this.#stdin,
        // FastCGI delimits STDIN with an empty record, so a body needs no CONTENT_LENGTH.
        bodyWithoutLength: "until-end",
        errors: new FcgiErrors(this),
        signal: this.#abort,
        multithread: true,
        multiprocess: false,
        runOnce: false,
        shapes: this.#host.environShapes,
      });
    } catch (error) {
      this.#freeSlot();
      if (!(error instanceof ProtocolError)) throw error;
      this.#badRequest(error);
      return;
    }
    // Most requests finish right here (startApp returns the Outcome itself): no promise.
    const running = startApp(this.#host.ctx.app, environ, this, { abort: this.#abort });
    if (running instanceof Promise) {
      running.catch(this.#host.ctx.unexpected).finally(() => this.#freeSlot());
    } else {
      this.#freeSlot();
    }
  }

  #freeSlot(): void {
    if (!this.#holdsSlot) return;
    this.#holdsSlot = false;
    this.#host.ctx.active--;
  }

  /** One STDIN record; the empty one ends the body. */
  stdin(content: Uint8Array): void {
    if (content.length === 0) this.#stdin?.end();
    else this.#stdin?.push(content);
  }

  /** Whether the web server still owes this request PARAMS or STDIN records. */
  get awaitingInput(): boolean {
    return this.phase === "params" || (this.phase === "running" && this.#stdin?.open === true);
  }

  /** ABORT_REQUEST or a lost connection: fire tsgi.signal; the sink writes nothing more. */
  cancel(reason: unknown): void {
    if (this.phase === "done") return;
    // No app run to wait for: the slot is free now.
    if (this.phase === "params") this.#freeSlot();
    this.phase = "done";
    this.#params = null;
    this.#head = null;
    this.#stopApp(reason);
  }

  #stopApp(reason: unknown): void {
    this.#stdin?.fail(reason);
    this.#abort?.abort(reason);
    this.wakeApp();
  }

  /**
   * The app still runs `limitMs` after it started (requestTimeoutMs): tsgi.signal fires and the
   * core stops the body and calls close(). Before the head went out the web server gets 504
   * Gateway Timeout (RFC 9110 §15.6.5: the gateway got no timely answer from its upstream, the
   * app); after it, a broken response (design §1 rule 10). The slot stays held until the app's
   * run settles: one that ignores the signal still counts against maxReqs.
   */
  timeOut(limitMs: number): void {
    if (this.phase !== "running") return;
    const reason = new LimitError(
      `request ${this.id}: still running after ${limitMs} ms (requestTimeoutMs); aborted`,
    );
    this.#host.ctx.log(`tsgi: fastcgi connection ${this.#host.label}: ${reason.message}`);
    // A reader must see the body cut, not ended, before the answer releases the queue.
    this.#stdin?.fail(reason);
    if (this.headSent) {
      this.abort(reason);
    } else {
      this.#head = null;
      this.#answer(gatewayPage("504 Gateway Timeout"));
    }
    this.#stopApp(reason);
  }

  // --- Sink ---------------------------------------------------------------------------

  commit(status: string, headers: Headers): void {
    if (this.phase !== "running") return;
    // RFC 3875 §6: the response is a CGI response, head first; it leaves with the first chunk.
    this.#head = responseHeadText(status, headers);
  }

  write(chunk: Uint8Array): void | Promise<void> {
    if (this.phase !== "running") return;
    const output = this.#host.output;
    const head = this.#head;
    if (head === null) return this.send(output, chunk);
    this.#head = null;
    return this.sendHead(output, head, chunk);
  }

  end(): void {
    if (this.phase !== "running") return;
    this.phase = "done";
    const output = this.#host.output;
    if (this.#head !== null) this.sendHead(output, this.#head, NO_BYTES);
    this.#head = null;
    this.endStreams(output, this.#stderrUsed);
    this.#stdin?.release();
    this.#host.requestEnded(this);
  }

  abort(error: unknown): void {
    // Already cancelled (client gone): nothing to break. Otherwise design §1 rule 10.
    if (this.phase === "done") return;
    this.phase = "done";
    this.#stdin?.release();
    this.#host.breakConnection(this, error);
  }

  // --- tsgi.errors --------------------------------------------------------------------

  writeStderr(text: string): void {
    if (text.length === 0) return;
    if (this.phase !== "running") {
      // END_REQUEST went out (or never will): the web server no longer listens for this id.
      this.#host.ctx.log(`tsgi: request ${this.id} (after its end): ${text.trimEnd()}`);
      return;
    }
    const output = this.#host.output;
    if (output.overloaded) {
      // The web server is not reading: the lines go to this process's log, not into memory.
      this.#host.ctx.log(`tsgi: request ${this.id} (web server not reading): ${text.trimEnd()}`);
      return;
    }
    this.#stderrUsed = true;
    output.stream(RecordType.STDERR, this.id, Buffer.from(text, "utf8"));
  }

  // RFC 3875 §4.1.2: a CONTENT_LENGTH that is not a byte count is the web server's mistake.
  #badRequest(error: ProtocolError): void {
    this.#host.ctx.log(`tsgi: fastcgi request ${this.id}: 400 Bad Request: ${error.message}`);
    this.#answer(badRequestPage(error.message));
  }

  /**
   * PARAMS past maxParamsBytes or maxParamsPairs: answered 431 (RFC 6585 §5) without running
   * the app, and ended, so the rest of its records are those of an inactive id, ignored
   * (§3.3). Other requests on the connection go on.
   */
  refuse(error: LimitError): void {
    if (this.phase !== "params") return;
    this.#host.ctx.log(
      `tsgi: fastcgi connection ${this.#host.label}: ${error.message}; answered 431`,
    );
    this.#params = null;
    this.phase = "running";
    this.#freeSlot();
    this.#answer(gatewayPage("431 Request Header Fields Too Large"));
  }

  #answer(page: GatewayPage): void {
    this.commit(page.status, page.headers);
    this.write(page.body);
    this.end();
  }
}
