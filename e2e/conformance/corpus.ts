import type { QTYPE } from '../src/reliability-dns.js';
import { seededRandom } from '@kube-dns-legacy/testkit';
import { NS } from './objects.js';

// The questions both servers are asked: every kind of name a cluster DNS serves (and some it must
// not), in several spellings, with and without EDNS.

/** One question of the corpus. */
export interface Question {
  /** The name as asked (the case may be mixed), fully qualified. */
  readonly name: string;
  readonly type: keyof typeof QTYPE;
  /** EDNS0 buffer size to advertise, or none. */
  readonly udpSize?: number;
  /** What kind of name it is (for the difference report). */
  readonly kind: string;
  /** The loopback address the question is asked from (a pod's address), or the default. */
  readonly from?: string;
}

const D = 'cluster.local.';

/** The nibble-reversed ip6.arpa name of a full IPv6 address. */
function ip6Arpa(address: string): string {
  const [head = '', tail = ''] = address.split('::');
  const words = [...head.split(':').filter(Boolean)];
  const rest = tail.split(':').filter(Boolean);
  const full = [...words, ...Array(8 - words.length - rest.length).fill('0'), ...rest]
    .map((w) => w.padStart(4, '0'))
    .join('');
  return `${[...full].reverse().join('.')}.ip6.arpa.`;
}

/** The reverse (PTR) name of an address. */
export function reverseOf(ip: string): string {
  return ip.includes(':') ? ip6Arpa(ip) : `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
}

/**
 * The corpus for a cluster whose Services got `clusterIps` (namespace/name → IPs). Deterministic
 * (seeded) so that a difference found once is found again.
 */
export function buildCorpus(clusterIps: ReadonlyMap<string, readonly string[]>): Question[] {
  const random = seededRandom(20261204);
  const svc = (name: string, ns = NS): string => `${name}.${ns}.svc.${D}`;
  const forward: Array<[kind: string, name: string]> = [
    ['service', svc('web')],
    ['service', svc('dual')],
    ['service', svc('v6')],
    ['service', svc('kubernetes', 'default')],
    ['service', svc('kube-dns', 'kube-system')],
    ['headless service', svc('web-headless')],
    ['headless service', svc('manual')],
    ['ExternalName', svc('ext')],
    ['SRV named port', `_http._tcp.${svc('web')}`],
    ['SRV named port', `_dns._udp.${svc('web')}`],
    ['SRV named port', `_https._tcp.${svc('kubernetes', 'default')}`],
    ['SRV named port', `_dns._udp.${svc('kube-dns', 'kube-system')}`],
    ['SRV named port', `_dns-tcp._tcp.${svc('kube-dns', 'kube-system')}`],
    ['SRV named port', `_http._tcp.${svc('dual')}`],
    ['SRV headless', `_http._tcp.${svc('web-headless')}`],
    ['SRV headless', `_db._tcp.${svc('manual')}`],
    ['SRV missing port', `_grpc._tcp.${svc('web')}`],
    ['SRV wrong protocol', `_http._udp.${svc('web')}`],
    ['endpoint with hostname', `web-0.${svc('web-headless')}`],
    ['endpoint with hostname', `primary.${svc('manual')}`],
    ['endpoint without hostname (dashed IP)', `10-244-2-7.${svc('web-headless')}`],
    ['endpoint without hostname (dashed IP)', `10-250-0-2.${svc('manual')}`],
    ['not-ready endpoint', `10-244-3-9.${svc('web-headless')}`],
    ['not-ready endpoint', `10-250-0-3.${svc('manual')}`],
    ['pod', `10-244-1-5.${NS}.pod.${D}`],
    ['pod', `10-244-2-7.${NS}.pod.${D}`],
    ['pod', `fd00-244--7.${NS}.pod.${D}`],
    ['pod (not ready)', `10-244-3-9.${NS}.pod.${D}`],
    ['pod that does not exist', `10-1-2-3.${NS}.pod.${D}`],
    ['pod in another namespace', `10-244-1-5.default.pod.${D}`],
    ['dns-version', `dns-version.${D}`],
    ['zone apex', D],
    ['svc zone', `svc.${D}`],
    ['namespace', `${NS}.svc.${D}`],
    ['pod zone', `pod.${D}`],
    ['wildcard', `*.${NS}.svc.${D}`],
    ['wildcard', `*.*.svc.${D}`],
    ['wildcard', `_http._tcp.*.${NS}.svc.${D}`],
    ['wildcard', `any.${NS}.svc.${D}`],
    ['NXDOMAIN', svc('nope')],
    ['NXDOMAIN', svc('web', 'nope')],
    ['NXDOMAIN', `nope.web-0.${svc('web-headless')}`],
    ['NXDOMAIN', `nope.${D}`],
    ['search path', `web.${NS}.${NS}.svc.${D}`],
    ['search path', `web.${NS}.svc.svc.${D}`],
    ['search path', `web.${NS}.${D}`],
    ['search path', `api.example.com.${NS}.svc.${D}`],
    ['search path', `api.example.com.svc.${D}`],
    ['search path', `api.example.com.${D}`],
    ['search path', `kubernetes.default.${NS}.svc.${D}`],
    ['search path', `kubernetes.default.svc.${D}`],
    ['search path', `kubernetes.default.${D}`],
  ];
  const reverse: Array<[kind: string, name: string]> = [];
  for (const [id, ips] of clusterIps) for (const ip of ips) reverse.push([`PTR ClusterIP ${id}`, reverseOf(ip)]);
  reverse.push(
    ['PTR endpoint with hostname', reverseOf('10.244.1.5')],
    ['PTR endpoint with hostname', reverseOf('10.250.0.1')],
    ['PTR endpoint without hostname', reverseOf('10.244.2.7')],
    ['PTR endpoint without hostname', reverseOf('10.250.0.2')],
    ['PTR pod', reverseOf('fd00:244::7')],
    ['PTR unknown in range', reverseOf('10.0.0.254')],
    ['PTR unknown in range', reverseOf('fd00:10::ffff')],
  );

  const types: Array<keyof typeof QTYPE> = ['A', 'AAAA', 'SRV', 'TXT', 'CNAME', 'NS', 'SOA'];
  const spellings = (name: string): string[] => {
    const mixed = [...name].map((c) => (random() < 0.5 ? c.toUpperCase() : c)).join('');
    return mixed === name ? [name] : [name, mixed];
  };
  const out: Question[] = [];
  for (const [kind, base] of forward) {
    for (const name of spellings(base)) {
      for (const type of types)
        for (const udpSize of [undefined, 1232])
          out.push({ name, type, kind, ...(udpSize === undefined ? {} : { udpSize }) });
    }
  }
  for (const [kind, base] of reverse) {
    for (const name of spellings(base)) {
      for (const type of ['PTR', 'A'] as const)
        for (const udpSize of [undefined, 1232])
          out.push({ name, type, kind, ...(udpSize === undefined ? {} : { udpSize }) });
    }
  }
  return out;
}
