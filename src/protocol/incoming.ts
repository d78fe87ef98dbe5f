import { metaVariablesFromRequest } from "./cgi.js";

/**
 * The parts of a Node `http.IncomingMessage` that make its meta-variables, described by shape
 * (protocol/ does no I/O and imports no node:http, not even as a type).
 */
export interface IncomingMessageLike {
  method?: string | undefined;
  url?: string | undefined;
  /** Names and values alternating, as received; Node decodes header bytes as latin-1. */
  rawHeaders: readonly string[];
  httpVersion: string;
  socket: {
    localAddress?: string | undefined;
    localPort?: number | undefined;
    remoteAddress?: string | undefined;
    remotePort?: number | undefined;
    /** tls.TLSSocket's flag: the request came over https. */
    encrypted?: boolean | undefined;
  } | null;
}

/** Where the request sits when a host mounted it below a path (Express's originalUrl/baseUrl). */
export interface MessageMount {
  /** The whole request-target, when `url` is only the part below the mount. */
  target?: string | undefined;
  /** SCRIPT_NAME, as a byte string. */
  scriptName?: string | undefined;
}

/** RFC 3875 §4.1: the meta-variables for a request a Node HTTP server received. */
export function metaVariablesFromMessage(
  message: IncomingMessageLike,
  mount: MessageMount = {},
): Record<string, string> {
  const socket = message.socket;
  const raw = message.rawHeaders;
  // Latin-1 decoded header bytes are byte strings already (design §1).
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i], raw[i + 1]]);
  return metaVariablesFromRequest({
    method: message.method ?? "GET",
    target: mount.target ?? message.url ?? "/",
    headers,
    serverName: socket?.localAddress ?? "localhost",
    serverPort: socket?.localPort,
    serverProtocol: `HTTP/${message.httpVersion}`,
    remoteAddr: socket?.remoteAddress,
    remotePort: socket?.remotePort,
    scheme: socket?.encrypted ? "https" : "http",
    scriptName: mount.scriptName ?? "",
  });
}
