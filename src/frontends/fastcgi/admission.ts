import { ProtocolStatus, Role } from "../../protocol/fastcgi.js";
import type { ServerContext } from "./context.js";

/** Why a BEGIN_REQUEST is refused: its END_REQUEST status; `why` (FCGI_OVERLOADED) is logged. */
export interface Refusal {
  readonly status: number;
  readonly why?: string;
}

/**
 * Whether a new request may start (FastCGI 1.0 §5.1): null, or the refusal. `onConnection` is
 * the number of requests active on its connection; `broken`, that connection closes after a
 * broken response.
 */
export function refusal(
  role: number,
  ctx: ServerContext,
  onConnection: number,
  broken: boolean,
): Refusal | null {
  // §6: only the RESPONDER role is implemented.
  const { maxReqs, maxRequestsPerConn } = ctx.limits;
  if (broken) return overloaded("this connection closes after a broken response");
  if (role !== Role.RESPONDER) return { status: ProtocolStatus.UNKNOWN_ROLE };
  if (ctx.active >= maxReqs) return overloaded(`maxReqs ${maxReqs} requests active`);
  if (onConnection >= maxRequestsPerConn) {
    return overloaded(
      `maxRequestsPerConn ${maxRequestsPerConn} requests active on this connection`,
    );
  }
  return null;
}

function overloaded(why: string): Refusal {
  return { status: ProtocolStatus.OVERLOADED, why };
}
