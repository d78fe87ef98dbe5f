/** How long a CGI process waits, after its response, for file work the app left running. */
export const SETTLE_MAX_MS = 2000;

// What an unfinished file operation shows as in process.getActiveResourcesInfo() (Node 17+).
const FILE_WORK = /^(FSReq|FileHandle|CloseReq$)/; // CloseReq: a FileHandle closing

/**
 * Waits, at most `maxMs`, until no file operation the app started is still running: an app that
 * answers first and writes to disk after (a Koa upload example pipes the files it received and
 * answers at once) would otherwise lose that work to the process's exit. A Node program exits
 * when nothing is left to do, and the app's author counts on that; sockets and timers are not
 * waited for (a database pool or a setInterval would hold every request until the cap). With no
 * file work pending it returns at once.
 */
export async function settleFileWork(maxMs = SETTLE_MAX_MS): Promise<void> {
  // The common case, nothing on disk in flight: no turn of the event loop at all (a CGI
  // process's exit is on every request's clock).
  if (!fileWorkPending()) return;
  const deadline = performance.now() + maxMs;
  let quiet = 0;
  while (quiet < 2 && performance.now() < deadline) {
    // Look after the loop's poll phase (setImmediate), when the callbacks of finished requests
    // have run and issued the next ones; a stream between two writes may still show none for a
    // turn: two quiet turns. The timer keeps the wait from spinning the loop.
    if (quiet === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setImmediate(resolve));
    quiet = fileWorkPending() ? 0 : quiet + 1;
  }
}

function fileWorkPending(): boolean {
  return process.getActiveResourcesInfo().some((name) => FILE_WORK.test(name));
}
