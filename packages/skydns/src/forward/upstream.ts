import { isIP } from 'node:net';

/** An upstream name server. */
export interface Upstream {
  /** IP literal. */
  readonly host: string;
  /** Port (53 unless given). */
  readonly port: number;
}

/** Parse `ip`, `ip:port`, `[v6]:port` or a bare IPv6 literal; throws a clear error otherwise. */
export function parseUpstream(text: string): Upstream {
  const trimmed = text.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  let host = trimmed;
  let port = '53';
  if (bracket?.[1] !== undefined) {
    host = bracket[1];
    port = bracket[2] ?? '53';
  } else if (isIP(trimmed) === 0) {
    const i = trimmed.lastIndexOf(':');
    if (i > 0) {
      host = trimmed.slice(0, i);
      port = trimmed.slice(i + 1);
    }
  }
  const n = Number(port);
  if (isIP(host) === 0 || !/^\d+$/.test(port) || n < 1 || n > 65535) {
    throw new Error(`nameserver ${JSON.stringify(text)} is not an IP address with an optional :port`);
  }
  return { host, port: n };
}

/** The `nameserver` lines of a resolv.conf text, port 53. */
export function resolvConfServers(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m?.[1] === undefined) continue;
    const host = m[1].replace(/%.*$/, '');
    if (isIP(host) !== 0) out.push({ host, port: 53 });
  }
  return out;
}
