import type { FastCgiLimits } from "./limits.js";
import type { FcgiRequest } from "./request.js";

/**
 * The per-request timeouts of one connection's sweep: a running request past
 * requestTimeoutMs is timed out, one whose PARAMS or STDIN stopped coming is passed to
 * `drop` with why. `silent`: the web server sent nothing for idleTimeoutMs. Returns whether
 * any request was dropped.
 */
export function sweepRequests(
  requests: Iterable<FcgiRequest>,
  now: number,
  limits: FastCgiLimits,
  silent: boolean,
  drop: (request: FcgiRequest, why: string) => void,
): boolean {
  const { idleTimeoutMs, paramsTimeoutMs, requestTimeoutMs } = limits;
  let dropped = false;
  for (const request of [...requests]) {
    if (
      requestTimeoutMs > 0 &&
      request.phase === "running" &&
      now - request.started >= requestTimeoutMs
    ) {
      request.timeOut(requestTimeoutMs);
    } else if (request.phase === "params" && now - request.began >= paramsTimeoutMs) {
      drop(request, `PARAMS not complete after ${paramsTimeoutMs} ms (paramsTimeoutMs)`);
      dropped = true;
    } else if (silent && request.awaitingInput) {
      drop(request, `no STDIN for ${idleTimeoutMs} ms (idleTimeoutMs)`);
      dropped = true;
    }
  }
  return dropped;
}
