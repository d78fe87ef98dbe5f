import type { Headers, Sink } from "../../core/types.js";
import { formatResponseHead } from "../../protocol/cgi.js";
import type { Output } from "./output.js";

/** The CGI response (RFC 3875 §6): the head with its Status line, a blank line, the body bytes. */
export class CgiSink implements Sink {
  /** Set by abort(): the response broke after its head went out (design §1 rule 10). */
  broken = false;

  constructor(private readonly out: Output) {}

  commit(status: string, headers: Headers): void | Promise<void> {
    return this.out.write(formatResponseHead(status, headers));
  }

  write(chunk: Uint8Array): void | Promise<void> {
    return this.out.write(chunk);
  }

  end(): void | Promise<void> {
    return this.out.flush();
  }

  // CGI has one way to say "this response is not complete": the exit code, set by the caller.
  abort(_error: unknown): void {
    this.broken = true;
  }

  flush(): void | Promise<void> {
    return this.out.flush();
  }
}
