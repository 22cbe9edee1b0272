import { ApiClient, clusterIpService, pool } from '../lib/sandbox-client.js';
import { DOMAIN } from '../lib/stack.js';
import type { SrvHost } from '../lib/dnsmasq.js';

/** One service of the fixture and its ClusterIP. */
export interface FixtureService {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
}

/** The names the DNS benchmark asks about: services in several namespaces, each with two named ports. */
export interface DnsFixture {
  readonly namespaces: readonly string[];
  readonly services: readonly FixtureService[];
}

/** The named ports every fixture service has (SRV `_http._tcp` and `_dns._udp`). */
export const PORTS = [
  { name: 'http', port: 80, protocol: 'TCP' },
  { name: 'dns', port: 53, protocol: 'UDP' },
] as const;

/** Create `count` services spread over `namespaceCount` namespaces through the sandbox API. */
export async function createFixture(api: ApiClient, count: number, namespaceCount: number): Promise<DnsFixture> {
  const namespaces = Array.from({ length: namespaceCount }, (_, i) => `ns${i}`);
  for (const ns of namespaces) await api.namespace(ns);
  const wanted = Array.from({ length: count }, (_, i) => ({ name: `svc-${Math.floor(i / namespaceCount)}`, namespace: namespaces[i % namespaceCount] as string }));
  const services: FixtureService[] = new Array(count);
  await pool(wanted, 16, async (w, i) => {
    const created = await api.create<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/${w.namespace}/services`, clusterIpService(w.name, PORTS));
    services[i] = { ...w, ip: created.spec.clusterIP };
  });
  return { namespaces, services };
}

/** The fully qualified service name (no trailing dot). */
export function serviceName(s: { name: string; namespace: string }): string {
  return `${s.name}.${s.namespace}.svc.${DOMAIN}`;
}

/** hosts-file lines for dnsmasq: every fixture service plus default/kubernetes. */
export function hostsEntries(f: DnsFixture, kubernetesIp: string): Array<[string, string]> {
  return [[kubernetesIp, `kubernetes.default.svc.${DOMAIN}`], ...f.services.map((s): [string, string] => [s.ip, serviceName(s)])];
}

/** SRV records for dnsmasq, as kube2sky publishes them (target = the service name, port = the service port). */
export function srvEntries(f: DnsFixture): SrvHost[] {
  return f.services.flatMap((s) => PORTS.map((p) => ({ name: `_${p.name}._${p.protocol.toLowerCase()}.${serviceName(s)}`, target: serviceName(s), port: p.port })));
}

/** (a) 50 % existing service A names, 50 % names that do not exist, interleaved; `total` lines. */
export function existingAndMissing(f: DnsFixture, total: number): string[] {
  const lines: string[] = [];
  for (let i = 0; lines.length < total; i++) {
    const s = f.services[i % f.services.length] as FixtureService;
    lines.push(`${serviceName(s)} A`);
    lines.push(`nx-${i}.${s.namespace}.svc.${DOMAIN} A`);
  }
  return lines.slice(0, total);
}

/** (b) SRV questions for the named ports of every service. */
export function srvQuestions(f: DnsFixture, total: number): string[] {
  const all = f.services.flatMap((s) => PORTS.map((p) => `_${p.name}._${p.protocol.toLowerCase()}.${serviceName(s)} SRV`));
  return all.slice(0, total);
}

/**
 * (c) What a pod's resolver (glibc, `ndots:5`, `search <ns>.svc.cluster.local svc.cluster.local
 * cluster.local`) sends for names written as users write them: `svc`, `svc.other-ns`,
 * `svc.other-ns.svc` and `kubernetes.default`. Every candidate is asked as A and AAAA (getaddrinfo
 * with AF_UNSPEC), in search-list order, up to the candidate that exists.
 */
export function searchPathQuestions(f: DnsFixture, lookups: number): string[] {
  const lines: string[] = [];
  const search = (podNs: string): string[] => [`${podNs}.svc.${DOMAIN}`, `svc.${DOMAIN}`, DOMAIN];
  const ask = (candidates: readonly string[]): void => {
    for (const c of candidates) lines.push(`${c} A`, `${c} AAAA`);
  };
  for (let i = 0; i < lookups; i++) {
    const s = f.services[i % f.services.length] as FixtureService;
    const podNs = i % 4 === 0 ? s.namespace : (f.namespaces[(i + 1) % f.namespaces.length] as string);
    const list = search(podNs);
    switch (i % 4) {
      case 0: // `svc` from its own namespace: the first candidate exists
        ask([`${s.name}.${list[0]}`]);
        break;
      case 1: // `svc.ns` from another namespace: the second candidate exists
        ask([`${s.name}.${s.namespace}.${list[0]}`, `${s.name}.${s.namespace}.${list[1]}`]);
        break;
      case 2: // `svc.ns.svc`: the third candidate exists
        ask([`${s.name}.${s.namespace}.svc.${list[0]}`, `${s.name}.${s.namespace}.svc.${list[1]}`, `${s.name}.${s.namespace}.svc.${list[2]}`]);
        break;
      default: // `kubernetes.default`
        ask([`kubernetes.default.${list[0]}`, `kubernetes.default.${list[1]}`]);
    }
  }
  return lines;
}
