/** SD_LISTEN_FDS_START: systemd passes its sockets from fd 3 on (sd_listen_fds(3)). */
export const SD_LISTEN_FDS_START = 3;

/**
 * The listening socket systemd passed by socket activation, or null: LISTEN_FDS counts them
 * from fd 3, LISTEN_PID names the process they are for (a child that inherited the variables
 * must not take them; without LISTEN_PID, as sd_listen_fds(3), there are none). tsgi serves one socket: with several, the first, as FastCGI 1.0 §2.2 has
 * one listening socket. The variables are removed, as sd_listen_fds(unset_environment=1) does,
 * so processes the app starts do not see them.
 */
export function systemdListenFd(
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): number | null {
  const count = Number(env.LISTEN_FDS);
  const forPid = Number(env.LISTEN_PID);
  if (!Number.isSafeInteger(count) || count < 1) return null;
  if (env.LISTEN_PID === undefined || forPid !== pid) return null;
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  return SD_LISTEN_FDS_START;
}
