import {
  decodeBeginRequest,
  decodePairs,
  encodeGetValuesResult,
  encodeUnknownType,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_NULL_REQUEST_ID,
  RecordType,
} from "../../protocol/fastcgi.js";
import type { FastCgiLimits } from "./limits.js";
import type { Output } from "./output.js";

/** A management record (FastCGI 1.0 §3.3: request id 0), answered on `output`. */
export function answerManagement(
  type: number,
  content: Uint8Array,
  limits: FastCgiLimits,
  output: Output,
): void {
  switch (type) {
    case RecordType.GET_VALUES:
      output.record(getValuesResult(content, limits));
      break;
    case RecordType.BEGIN_REQUEST:
      decodeBeginRequest(FCGI_NULL_REQUEST_ID, content); // throws: id 0 is not a request
      break;
    default:
      // §4.2: a management record we do not know is answered, not fatal.
      output.record(encodeUnknownType(type));
  }
}

// §4.1: answer exactly the variables asked for, with our limits; unknown names are omitted.
// FCGI_MAX_REQS is what a web server can count on over this connection: a multiplexing one
// that sized itself by maxReqs alone would be refused past maxRequestsPerConn.
function getValuesResult(content: Uint8Array, limits: FastCgiLimits): Buffer {
  const { maxConns, maxReqs, maxRequestsPerConn } = limits;
  const known: Record<string, string> = {
    [FCGI_MAX_CONNS]: String(maxConns),
    [FCGI_MAX_REQS]: String(Math.min(maxReqs, maxRequestsPerConn)),
    [FCGI_MPXS_CONNS]: "1",
  };
  const answer: Array<[string, string]> = [];
  for (const [name] of decodePairs(content, "GET_VALUES")) {
    if (Object.hasOwn(known, name)) answer.push([name, known[name]]);
  }
  return encodeGetValuesResult(answer);
}
