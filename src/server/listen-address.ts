// Where the server listens, and whether that address is private enough to run without a credential.
// Only 127.0.0.1, ::1 and "localhost" count as loopback: other 127.x addresses are routable to the
// host's own processes too, but they are unusual enough that a setup using one is probably being
// exposed on purpose (port forwards, containers sharing a network namespace), so they need a credential.

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:8080';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Parses "host:port", "[::1]:port" or ":port" (all interfaces). */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  if (!match) {
    throw new Error(
      `invalid listen address "${value}": expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080`,
    );
  }
  const host = match[1] ?? (match[2] || '0.0.0.0');
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`invalid listen address "${value}": port ${port} is above 65535`);
  return { host, port };
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase());
}

export function formatListen({ host, port }: ListenAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
