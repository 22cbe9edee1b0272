import { ConfigError } from '@kube-dns-legacy/processkit';
import { dnsNameProblem, fqdn } from '@kube-dns-legacy/skymsg';
import type { Network } from './forward/acl.js';
import { parseUpstream, type Upstream } from './forward/upstream.js';

/** The SkyDNS version string we answer to `-version` and CHAOS `version.bind`. */
export const SKYDNS_VERSION = '2.5.3a';

/** Largest UDP payload we send by default (DNS flag day 2020). */
export const DEFAULT_UDP_CAP = 1232;

/** Everything the skydns process runs with (flags, environment, then `/skydns/config`). */
export interface SkydnsConfig {
  /** Listen address (UDP and TCP). */
  addr: { host: string; port: number };
  /** Served domain, lower-case, fully qualified. */
  domain: string;
  /** etcd endpoints. */
  machines: string[];
  /** Upstream servers; undefined means the `nameserver` lines of /etc/resolv.conf. */
  nameservers: Upstream[] | undefined;
  /** Never forward. */
  noRec: boolean;
  /** Client networks whose questions may be forwarded (`-allow-recursion`); undefined: every client. */
  allowRecursion: Network[] | undefined;
  /** Send questions under the stub zones of `stub.dns.<domain>` to their servers (`-stubzones`). */
  stubzones: boolean;
  /** Answer a pod's first search-path candidate with the first name of its search path that exists (`-autopath`). */
  autopath: boolean;
  /** Start forwarding at a server chosen by the query ID. */
  nsRotate: boolean;
  /** Rotate A/AAAA answers. */
  roundRobin: boolean;
  /** Reuse encoded authoritative answers (`-answer-cache`, default true). */
  answerCache: boolean;
  /** Upstream timeout per try (ms). */
  rtimeoutMs: number;
  /** etcd path prefix. */
  pathPrefix: string;
  /** Host-local name for `local.dns.<domain>`, fully qualified, or "". */
  local: string;
  /** SOA RNAME, fully qualified. */
  hostmaster: string;
  /** Response cache capacity (0 = off). */
  rcache: number;
  /** Response cache lifetime cap (s). */
  rcacheTtl: number;
  /** Per-query log lines. */
  verbose: boolean;
  /** etcd TLS files. */
  caCert: string;
  /** etcd client key. */
  tlsKey: string;
  /** etcd client certificate. */
  tlsPem: string;
  /** etcd user name (v3 auth). */
  username: string;
  /** etcd password. */
  password: string;
  /** Fewest labels before forwarding. */
  ndots: number;
  /** Default record TTL and answer TTL cap. */
  ttl: number;
  /** SOA minimum and negative-answer TTL. */
  minTtl: number;
  /** Default SRV/MX priority. */
  priority: number;
  /** Metrics and /healthz port (undefined = off). */
  metricsPort: number | undefined;
  /** Metrics path. */
  metricsPath: string;
  /** Metric name prefix (`<namespace>_<subsystem>_`). */
  metricsPrefix: string;
  /** Largest UDP reply. */
  udpSize: number;
  /** Idle timeout of TCP connections (ms). */
  tcpIdleMs: number;
  /** Most TCP connections at once. */
  tcpMaxConnections: number;
  /** Most TCP connections from one client address (0 = no limit). */
  tcpMaxPerClient: number;
  /** Print the version and exit. */
  version: boolean;
  /** `-workers`: DNS worker processes sharing the port (1: serve in this process). */
  workers: number;
}

/** A configuration problem: the message says what is wrong and how to fix it (the shared type: exit status 2). */
export { ConfigError };

/** Parse `ip:port` (IP literal required, `[v6]:port` accepted). */
export function parseListenAddr(text: string): { host: string; port: number } {
  try {
    const upstream = parseUpstream(text);
    if (!/:\d+$/.test(text.trim())) throw new Error('missing port');
    return { host: upstream.host, port: upstream.port };
  } catch {
    throw new ConfigError(`-addr ${JSON.stringify(text)} must be an IP address and a port, e.g. 0.0.0.0:53 or [::]:53`);
  }
}

/**
 * The domain to serve from a flag or `/<prefix>/config` value (`what` names it in the message):
 * lower-case, fully qualified; empty (which would serve the root zone, every name there is) or not
 * a DNS name is a {@link ConfigError}.
 */
export function domainName(value: string, what: string): string {
  const text = value.trim();
  if (text === '' || text === '.')
    throw new ConfigError(
      `${what} must name the domain to serve, e.g. cluster.local. (got ${JSON.stringify(value)}: that would serve the root zone)`,
    );
  const problem = /[\s/\\]/.test(text) ? 'it holds a space or a slash' : dnsNameProblem(text);
  if (problem !== undefined) throw new ConfigError(`${what} ${JSON.stringify(value)} is not a domain name: ${problem}`);
  return fqdn(text);
}

/** The etcd key skydns reads its settings from: `/<path-prefix>/config`. */
export function configKey(pathPrefix: string): string {
  return `/${pathPrefix}/config`;
}

/** The hostmaster flag value as an RNAME: `@` becomes `.`, fully qualified. */
export function hostmasterName(value: string, domain: string): string {
  return value === '' ? `hostmaster.${domain}` : fqdn(value.replace('@', '.'));
}

type Json = Record<string, unknown>;

function expectIn<T>(
  source: string,
  json: Json,
  key: string,
  check: (v: unknown) => v is T,
  what: string,
): T | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw new ConfigError(`${source}: "${key}" must be ${what}, got ${JSON.stringify(value)}`);
  return value;
}

const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isString = (v: unknown): v is string => typeof v === 'string';
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/**
 * Overlay the JSON of the `/<path-prefix>/config` key on `config` (etcd settings take precedence,
 * as in SkyDNS). Malformed JSON or a wrong type is a {@link ConfigError} naming that key.
 */
export function applyEtcdConfig(config: SkydnsConfig, text: string): SkydnsConfig {
  const source = configKey(config.pathPrefix);
  const expect = <T>(json: Json, key: string, check: (v: unknown) => v is T, what: string): T | undefined =>
    expectIn(source, json, key, check, what);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new ConfigError(`${source} must be a JSON object`);
  const j = json as Json;
  const out: SkydnsConfig = { ...config };
  const addr = expect(j, 'dns_addr', isString, 'a string "ip:port"');
  if (addr !== undefined) out.addr = parseListenAddr(addr);
  const domain = expect(j, 'domain', isString, 'a string');
  if (domain !== undefined) out.domain = domainName(domain, `${source}: "domain"`);
  const local = expect(j, 'local', isString, 'a string');
  if (local !== undefined) out.local = local === '' ? '' : fqdn(local);
  const hostmaster = expect(j, 'hostmaster', isString, 'a string');
  if (hostmaster !== undefined) out.hostmaster = hostmasterName(hostmaster, out.domain);
  else if (domain !== undefined && config.hostmaster === `hostmaster.${config.domain}`)
    out.hostmaster = `hostmaster.${out.domain}`;
  out.roundRobin = expect(j, 'round_robin', isBool, 'true or false') ?? out.roundRobin;
  out.nsRotate = expect(j, 'ns_rotate', isBool, 'true or false') ?? out.nsRotate;
  out.noRec = expect(j, 'no_rec', isBool, 'true or false') ?? out.noRec;
  const servers = expect(j, 'nameservers', isStrings, 'a list of "ip:port" strings');
  if (servers !== undefined) {
    try {
      out.nameservers = servers.map(parseUpstream);
    } catch (err) {
      throw new ConfigError(`${source}: ${(err as Error).message}`);
    }
  }
  const readTimeout = expect(j, 'read_timeout', isUint, 'a duration in nanoseconds');
  if (readTimeout !== undefined && readTimeout > 0) out.rtimeoutMs = readTimeout / 1e6;
  out.priority = expect(j, 'priority', isUint, 'a non-negative integer') || out.priority;
  out.ttl = expect(j, 'ttl', isUint, 'a non-negative integer (seconds)') || out.ttl;
  out.minTtl = expect(j, 'min_ttl', isUint, 'a non-negative integer (seconds)') || out.minTtl;
  out.rcache = expect(j, 'rcache', isUint, 'a non-negative integer') ?? out.rcache;
  out.rcacheTtl = expect(j, 'rcache_ttl', isUint, 'a non-negative integer (seconds)') || out.rcacheTtl;
  out.ndots = expect(j, 'ndot', isUint, 'a non-negative integer') || out.ndots;
  expect(j, 'scache', isUint, 'a non-negative integer');
  if (expect(j, 'systemd', isBool, 'true or false') === true)
    throw new ConfigError(`${source}: "systemd": socket activation is not supported`);
  if ((expect(j, 'dnssec', isString, 'a string') ?? '') !== '')
    throw new ConfigError(`${source}: "dnssec": DNSSEC signing is not supported`);
  return out;
}
