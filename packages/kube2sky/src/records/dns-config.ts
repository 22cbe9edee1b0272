import { fqdn, isDnsSubdomain, nameToKey } from '@kube-dns-legacy/skymsg';
import { stubValue } from './names.js';
import type { RecordContext } from './types.js';
import { ipProblem, isPortNumber } from './values.js';

/** The data keys of the kube-dns ConfigMap kube2sky mirrors (each a JSON string). */
const STUB_DOMAINS_KEY = 'stubDomains';
const UPSTREAM_NAMESERVERS_KEY = 'upstreamNameservers';

/** kube-dns accepts at most three upstream nameservers (the resolv.conf limit). */
const MAX_UPSTREAMS = 3;

/** A nameserver of the ConfigMap: an IP address and a port (53 unless given). */
export interface Nameserver {
  readonly host: string;
  readonly port: number;
}

/** The records of a valid ConfigMap, or why it is not valid (then nothing of it is used). */
export type DnsConfigResult =
  | { readonly records: Map<string, string>; readonly stubDomains: number; readonly upstreams: number }
  | { readonly error: string };

/**
 * `ip`, `ip:port` or `[ipv6]:port` as a nameserver, as kube-dns reads them (a bare IPv6 address takes
 * port 53; `::1:53` is the IPv6 address ::1:53). Throws with the reason when it is not one. Host
 * names, which later kube-dns versions accept for stub domains, are refused: the records carry IPs.
 */
export function parseNameserver(text: string): Nameserver {
  if (ipProblem(text) === undefined) return { host: text, port: 53 };
  const split = /^\[([^\]]*)\]:([^:]*)$/.exec(text) ?? /^([^:[\]]*):([^:]*)$/.exec(text);
  const host = split?.[1];
  const port = split?.[2];
  if (host === undefined || port === undefined)
    throw new Error(`nameserver ${JSON.stringify(text)} is not an IP address with an optional port`);
  const problem = ipProblem(host);
  if (problem !== undefined)
    throw new Error(`nameserver ${JSON.stringify(text)}: ${JSON.stringify(host)} is ${problem}`);
  const number = /^[0-9]{1,5}$/.test(port) ? Number(port) : Number.NaN;
  if (!isPortNumber(number))
    throw new Error(`nameserver ${JSON.stringify(text)}: bad port number ${JSON.stringify(port)}`);
  return { host, port: number };
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${key} is not JSON: ${(err as Error).message}`);
  }
}

/** The nameservers of `list`, each error prefixed with `what`. */
function nameservers(what: string, list: readonly string[]): Nameserver[] {
  return list.map((text) => {
    try {
      return parseNameserver(text);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
  });
}

function stringList(what: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`${what} must be a JSON list of strings`);
  return value;
}

/** The stub domains, checked as kube-dns checks them, plus: not the cluster domain nor a name under it. */
function stubDomains(ctx: RecordContext, text: string): Array<[string, Nameserver[]]> {
  const parsed = parseJson(STUB_DOMAINS_KEY, text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${STUB_DOMAINS_KEY} must be a JSON object of domain -> list of nameservers`);
  const domains: Array<[string, Nameserver[]]> = [];
  for (const [domain, list] of Object.entries(parsed)) {
    if (!isDnsSubdomain(domain) || domain.endsWith('.'))
      throw new Error(`${STUB_DOMAINS_KEY}: invalid domain name ${JSON.stringify(domain)}`);
    const name = fqdn(domain);
    if (name === ctx.domain || name.endsWith(`.${ctx.domain}`))
      throw new Error(
        `${STUB_DOMAINS_KEY}: ${JSON.stringify(domain)} is the cluster domain or inside it; its names are answered from the cluster's records`,
      );
    const what = `${STUB_DOMAINS_KEY}[${JSON.stringify(domain)}]`;
    domains.push([domain, nameservers(what, stringList(what, list))]);
  }
  return domains;
}

function upstreams(text: string): Nameserver[] {
  const list = stringList(UPSTREAM_NAMESERVERS_KEY, parseJson(UPSTREAM_NAMESERVERS_KEY, text));
  if (list.length > MAX_UPSTREAMS)
    throw new Error(`${UPSTREAM_NAMESERVERS_KEY} cannot have more than ${MAX_UPSTREAMS} entries (has ${list.length})`);
  return nameservers(UPSTREAM_NAMESERVERS_KEY, list);
}

/**
 * The records of the kube-dns ConfigMap's data (`undefined`: the ConfigMap has no data): for each
 * stub domain `d` and its n-th nameserver, `<n>.<d>.stub.dns.<domain>` (SkyDNS stub zones); for the
 * n-th upstream nameserver, `<n>.upstream.dns.<domain>`; each valued `{"host":"<ip>","port":<port>}`.
 * The whole ConfigMap is refused when any part is invalid, as kube-dns does. Other data keys
 * (`federations`) are ignored.
 */
export function dnsConfigRecords(
  ctx: RecordContext,
  data: Readonly<Record<string, unknown>> | undefined,
): DnsConfigResult {
  const records = new Map<string, string>();
  const text = (key: string): string | undefined => {
    const value = data?.[key];
    if (value !== undefined && typeof value !== 'string') throw new Error(`${key} must be a string`);
    return value;
  };
  try {
    const stubText = text(STUB_DOMAINS_KEY);
    const upstreamText = text(UPSTREAM_NAMESERVERS_KEY);
    const stubs = stubText === undefined ? [] : stubDomains(ctx, stubText);
    const servers = upstreamText === undefined ? [] : upstreams(upstreamText);
    for (const [domain, nameservers] of stubs)
      for (const [n, ns] of nameservers.entries())
        records.set(nameToKey(`${n}.${domain}.stub.dns.${ctx.domain}`, ctx.prefix), stubValue(ns.host, ns.port));
    for (const [n, ns] of servers.entries())
      records.set(nameToKey(`${n}.upstream.dns.${ctx.domain}`, ctx.prefix), stubValue(ns.host, ns.port));
    return { records, stubDomains: stubs.length, upstreams: servers.length };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
