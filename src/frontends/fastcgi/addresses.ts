import { BlockList, isIP } from "node:net";

/** Where to listen: `HOST:PORT`, a Unix socket path, or an inherited listening socket. */
export type ListenAddress =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "unix"; path: string }
  | { kind: "fd"; fd: number };

/**
 * Parses a listen address: `"127.0.0.1:9000"`, `"[::1]:9000"`, `"/run/app.sock"`,
 * `"unix:/run/app.sock"`, `{ fd: 0 }` or nothing (fd 0, FCGI_LISTENSOCK_FILENO, FastCGI 1.0 §2.2).
 */
export function parseListenAddress(address?: string | { fd: number }): ListenAddress {
  if (address === undefined) return { kind: "fd", fd: 0 };
  if (typeof address === "object") {
    if (!Number.isInteger(address.fd) || address.fd < 0) {
      throw new RangeError(`listen fd ${address.fd} is not a file descriptor number`);
    }
    return { kind: "fd", fd: address.fd };
  }
  const path = address.startsWith("unix:") ? address.slice(5) : address;
  if (path.startsWith("/")) return { kind: "unix", path };
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    throw new RangeError(
      `listen address ${JSON.stringify(address)} is not HOST:PORT, [IPV6]:PORT or an absolute Unix socket path`,
    );
  }
  return { kind: "tcp", host: match[1] ?? match[2] ?? "", port };
}

/** "127.0.0.1:9000" or "[::1]:9000". */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

// An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; compare it as a.b.c.d.
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1] : address;
}

/**
 * FastCGI 1.0 §3.2 FCGI_WEB_SERVER_ADDRS: the web servers allowed to connect over TCP,
 * comma-separated. Returns null when the variable is unset or empty (anyone may connect).
 */
export function parseWebServerAddrs(
  value: string | undefined,
  log: (line: string) => void,
): ((peer: string) => boolean) | null {
  if (value === undefined || value.trim() === "") return null;
  const allowed = new BlockList();
  for (const raw of value.split(",")) {
    const address = unmapped(raw.trim());
    const family = isIP(address);
    if (family === 0) {
      if (raw.trim() !== "")
        log(
          `tsgi: FCGI_WEB_SERVER_ADDRS: ignoring ${JSON.stringify(raw.trim())}: not an IP address`,
        );
      continue;
    }
    allowed.addAddress(address, family === 6 ? "ipv6" : "ipv4");
  }
  return (peer) => {
    const address = unmapped(peer);
    const family = isIP(address);
    return family !== 0 && allowed.check(address, family === 6 ? "ipv6" : "ipv4");
  };
}
