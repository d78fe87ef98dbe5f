import { expect, test } from "vitest";
import { systemdListenFd } from "../../../src/frontends/fastcgi/listen-fds.js";

test.each([
  [{ LISTEN_FDS: "1", LISTEN_PID: "42" }, 42, 3],
  [{ LISTEN_FDS: "2", LISTEN_PID: "42", LISTEN_FDNAMES: "a:b" }, 42, 3],
  [{ LISTEN_FDS: "1" }, 42, null], // no LISTEN_PID: sd_listen_fds(3) takes none
  [{ LISTEN_FDS: "1", LISTEN_PID: "41" }, 42, null], // meant for another process
  [{ LISTEN_FDS: "0", LISTEN_PID: "42" }, 42, null],
  [{ LISTEN_FDS: "x", LISTEN_PID: "42" }, 42, null],
  [{}, 42, null],
])("%j for pid %i -> %s", (env, pid, fd) => {
  const copy: NodeJS.ProcessEnv = { ...env };
  expect(systemdListenFd(copy, pid)).toBe(fd);
  // Taken: the app's own children must not see them (sd_listen_fds with unset_environment).
  if (fd !== null) expect(copy).toEqual({});
});
