import { isIPv4, isIPv6 } from 'node:net';
import { isDnsSubdomain } from '@kube-dns-legacy/skymsg';

/**
 * Checks of the values kube2sky copies from objects into records. The sandbox API server (and older
 * real ones) accept some values the records cannot carry; kube2sky skips those with a warning rather
 * than write a record skydns would serve wrongly.
 */

/** An IPv4-mapped IPv6 address in the WHATWG URL parser's canonical form (`::ffff:a01:101`). */
const IPV4_MAPPED = /^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/;

/**
 * Why `ip` cannot be a record's address, or undefined when it can: a dotted-quad IPv4 address
 * (no leading zeros) or an IPv6 address without a zone (`%eth0`) that is not IPv4-mapped
 * (`::ffff:10.1.2.3`, which Kubernetes ≥ 1.33 refuses and which would give a broken pod key).
 */
export function ipProblem(ip: string): string | undefined {
  if (isIPv4(ip)) return undefined;
  if (!isIPv6(ip)) return 'not an IP address';
  if (ip.includes('%')) return 'an IPv6 address with a zone';
  if (IPV4_MAPPED.test(new URL(`http://[${ip}]`).hostname.slice(1, -1))) return 'an IPv4-mapped IPv6 address';
  return undefined;
}

/** True when `port` can be an SRV record's port: an integer from 1 to 65535 (the 16 bits of the SRV field). */
export function isPortNumber(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/**
 * Why `name` cannot be an ExternalName target, or undefined when it can: a DNS-1123 subdomain (one
 * trailing dot allowed, any case), as the API server validates `spec.externalName`, whose last label
 * is not all digits unless the whole name is an IPv4 address (`256.1.1.1` is neither a host name
 * nor an address). A valid IPv4 address is kept: SkyDNS answers it as an A record.
 */
export function externalNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (!isDnsSubdomain(bare.toLowerCase()))
    return 'not a DNS-1123 subdomain: letters, digits, "-" and "." only, labels of 1-63 characters';
  if (/^[0-9]+$/.test(bare.slice(bare.lastIndexOf('.') + 1)) && !isIPv4(bare))
    return 'its last label is all digits but it is not an IPv4 address';
  return undefined;
}
