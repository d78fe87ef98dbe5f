import { readFileSync } from "node:fs";

/**
 * The accept queue of a listening TCP socket on Linux: /proc/net/tcp{,6} show a socket in
 * state 0A (LISTEN) with rx_queue = connections waiting for accept() and tx_queue = the backlog
 * (FPM's "listen queue" and "listen queue len"). Unix sockets show no queue there (FPM has the
 * same gap, php-src#9943): zeros.
 */
export function listenQueue(port: number | null): { queue: number; length: number } {
  if (port === null) return { queue: 0, length: 0 };
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue ...
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== "0A" || !fields[1]?.endsWith(`:${hex}`)) continue;
      const [tx, rx] = fields[4].split(":");
      return { queue: Number.parseInt(rx, 16), length: Number.parseInt(tx, 16) };
    }
  }
  return { queue: 0, length: 0 };
}
