import { isIPv4, isIPv6 } from 'node:net';

/** The default etcd path prefix (SkyDNS `-path-prefix`, kube2sky `--etcd-prefix`). */
export const DEFAULT_PREFIX = 'skydns';

/** The longest DNS name in presentation form, without the trailing dot (RFC 1035). */
export const MAX_NAME_LENGTH = 253;
/** The longest DNS label (RFC 1035). */
export const MAX_LABEL_LENGTH = 63;

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True when `label` is an RFC 1123 label: lower-case alphanumerics and '-', at most 63 characters. */
export function isDnsLabel(label: string): boolean {
  return label.length <= MAX_LABEL_LENGTH && RFC1123_LABEL.test(label);
}

/** True when every label of `name` (a trailing dot allowed) is an RFC 1123 label and the name fits 253 characters. */
export function isDnsSubdomain(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return bare.length > 0 && bare.length <= MAX_NAME_LENGTH && bare.split('.').every(isDnsLabel);
}

/**
 * Why `name` cannot be a DNS name on the wire, or undefined when it can: no empty labels, labels
 * of at most 63 characters, at most 253 characters in all. Any characters are allowed (`_tcp`, `*`).
 */
export function dnsNameProblem(name: string): string | undefined {
  if (name === '.' || name === '') return undefined;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length > MAX_NAME_LENGTH) return `name is ${bare.length} characters long, the limit is ${MAX_NAME_LENGTH}`;
  for (const label of bare.split('.')) {
    if (label.length === 0) return 'name has an empty label';
    if (label.length > MAX_LABEL_LENGTH)
      return `label "${label.slice(0, 20)}…" is ${label.length} characters long, the limit is ${MAX_LABEL_LENGTH}`;
  }
  return undefined;
}

/** `name` lower-cased and fully qualified (one trailing dot); the root is ".". */
export function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** The labels of `name`, left to right, lower-cased; the root has none. */
export function labels(name: string): string[] {
  const bare = fqdn(name).slice(0, -1);
  return bare === '' ? [] : bare.split('.');
}

function prefixSegments(prefix: string): string[] {
  return prefix.split('/').filter((s) => s !== '');
}

/** The etcd key of a DNS name: lower-cased labels reversed under the prefix (`a.b.` → `/skydns/b/a`). */
export function nameToKey(name: string, prefix: string = DEFAULT_PREFIX): string {
  return `/${[...prefixSegments(prefix), ...labels(name).reverse()].join('/')}`;
}

/** The DNS name of an etcd key under the prefix (`/skydns/b/a` → `a.b.`); throws when the key is outside it. */
export function keyToName(key: string, prefix: string = DEFAULT_PREFIX): string {
  const root = `/${prefixSegments(prefix).join('/')}`;
  if (key === root) return '.';
  if (!key.startsWith(`${root}/`)) throw new Error(`key ${key} is not under the prefix ${root}`);
  const segments = key.slice(root.length + 1).split('/');
  if (segments.some((s) => s === '')) throw new Error(`key ${key} has an empty segment`);
  return `${segments.reverse().join('.')}.`;
}

/** Expand an IPv6 literal to its 32 hex nibbles (embedded IPv4 tails included). */
function ipv6Nibbles(ip: string): string[] {
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const [a, b, c, d] = v4[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].flatMap((g) => [...g.padStart(4, '0')]);
}

/** The reverse-lookup name of an IP (`10.0.0.1` → `1.0.0.10.in-addr.arpa.`, IPv6 as nibbles under `ip6.arpa.`). */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
  if (isIPv6(ip)) return `${ipv6Nibbles(ip).reverse().join('.')}.ip6.arpa.`;
  throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
}

/** The IP a reverse-lookup name stands for, or undefined when it is not a complete in-addr/ip6 name. */
export function reverseNameToIP(name: string): string | undefined {
  const parts = labels(name);
  if (parts.length === 6 && parts[4] === 'in-addr' && parts[5] === 'arpa') {
    const ip = parts.slice(0, 4).reverse().join('.');
    return isIPv4(ip) ? ip : undefined;
  }
  if (parts.length === 34 && parts[32] === 'ip6' && parts[33] === 'arpa') {
    const nibbles = parts.slice(0, 32).reverse();
    if (!nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(''));
    return groups.join(':');
  }
  return undefined;
}

/** The label kube2sky gives a pod's IP (`10.244.1.5` → `10-244-1-5`; IPv6 colons become dashes). */
export function podLabel(ip: string): string {
  if (isIPv4(ip)) return ip.replaceAll('.', '-');
  if (isIPv6(ip)) return ip.toLowerCase().replaceAll(':', '-');
  throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
}

/** True when a query label is a SkyDNS wildcard (`*` or `any`). */
export function isWildcardLabel(label: string): boolean {
  return label === '*' || label === 'any';
}

/** A query with wildcard labels: where to look, and which keys beneath it match. */
export interface WildcardPath {
  /** The key of the name up to (not including) the first wildcard, counting from the root. */
  readonly base: string;
  /** The key's segments from the root (prefix included), `undefined` where the query has a wildcard. */
  readonly pattern: readonly (string | undefined)[];
  /** True for a record key that matches the query: wildcards match any segment, deeper keys match. */
  matches(key: string): boolean;
}

/** The wildcard path of a query name, or undefined when it has no `*`/`any` label. */
export function wildcardPath(name: string, prefix: string = DEFAULT_PREFIX): WildcardPath | undefined {
  const reversed = labels(name).reverse();
  const first = reversed.findIndex(isWildcardLabel);
  if (first < 0) return undefined;
  const root = prefixSegments(prefix);
  const base = `/${[...root, ...reversed.slice(0, first)].join('/')}`;
  const skip = root.length;
  return {
    base,
    pattern: [...root, ...reversed.map((label) => (isWildcardLabel(label) ? undefined : label))],
    matches(key: string): boolean {
      const segments = key
        .split('/')
        .filter((s) => s !== '')
        .slice(skip);
      if (segments.length < reversed.length) return false;
      return reversed.every((label, i) => isWildcardLabel(label) || segments[i] === label);
    },
  };
}
