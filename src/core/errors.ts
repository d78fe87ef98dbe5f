/**
 * Every error tsgi raises is a TsgiError with a stable `code`, so callers can branch on the
 * kind of failure without parsing messages, and a message that names the thing at fault.
 */
export class TsgiError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The application broke the gateway contract (PEP 3333): bad status, header, chunk or call order. */
export class ContractError extends TsgiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_TSGI_CONTRACT", message, options);
  }
}

/** The web server sent bytes or meta-variables that do not follow the protocol. */
export class ProtocolError extends TsgiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_TSGI_PROTOCOL", message, options);
  }
}

/** A configured limit (params size, request count, body size) was exceeded. */
export class LimitError extends TsgiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_TSGI_LIMIT", message, options);
  }
}

/** The client went away (EPIPE, closed connection, FCGI_ABORT_REQUEST) before the response ended. */
export class ClientGoneError extends TsgiError {
  constructor(
    message = "client went away before the response was complete",
    options?: { cause?: unknown },
  ) {
    super("ERR_TSGI_CLIENT_GONE", message, options);
  }
}

/** The request body ended before CONTENT_LENGTH bytes arrived. */
export class IncompleteBodyError extends TsgiError {
  readonly expected: number;
  readonly received: number;

  constructor(expected: number, received: number) {
    super(
      "ERR_TSGI_INCOMPLETE_BODY",
      `request body ended after ${received} of ${expected} bytes (CONTENT_LENGTH=${expected})`,
    );
    this.expected = expected;
    this.received = received;
  }
}

/**
 * True when `err` is a ClientGoneError: what a sink raises when its client left. Front-ends turn
 * their transport's EPIPE/ECONNRESET into one; an errno code alone proves nothing, since an app's
 * own upstream (a database, an HTTP call) fails with the same codes and must get its 500.
 * Compared by code, not class: the CGI entry is bundled with a copy of the core.
 */
export function isClientGone(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ERR_TSGI_CLIENT_GONE";
}
