import { type ApiClient, clusterIpService, pool } from '../lib/sandbox-client.js';
import { DOMAIN } from '../lib/stack.js';
import type { SrvHost } from '@kube-dns-legacy/testkit';

/** One service of the fixture and its ClusterIP. */
export interface FixtureService {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
}

/** A headless service of the fixture: one EndpointSlice of ready endpoints with hostnames (`web-0`, …). */
export interface FixtureHeadless {
  readonly name: string;
  readonly namespace: string;
  /** The endpoints' addresses, in hostname order (`web-<index>`). */
  readonly ips: readonly string[];
}

/** The names the DNS benchmark asks about: services in several namespaces, each with two named ports, and headless services. */
export interface DnsFixture {
  readonly namespaces: readonly string[];
  readonly services: readonly FixtureService[];
  readonly headless: readonly FixtureHeadless[];
}

/** The named port of every headless fixture service (SRV `_http._tcp`, one record per endpoint). */
export const HEADLESS_PORT = { name: 'http', port: 8080, protocol: 'TCP' } as const;

/** The named ports every fixture service has (SRV `_http._tcp` and `_dns._udp`). */
export const PORTS = [
  { name: 'http', port: 80, protocol: 'TCP' },
  { name: 'dns', port: 53, protocol: 'UDP' },
] as const;

/**
 * Create `count` ClusterIP services spread over `namespaceCount` namespaces through the API (the sandbox
 * or a real kube-apiserver), and `headless` headless services with one EndpointSlice of `endpoints` ready
 * endpoints each (hostnames `web-<k>`, addresses 10.244.x.y), as an endpoint-slice controller would write it.
 */
export async function createFixture(
  api: ApiClient,
  count: number,
  namespaceCount: number,
  headless = 0,
  endpoints = 10,
): Promise<DnsFixture> {
  const namespaces = Array.from({ length: namespaceCount }, (_, i) => `ns${i}`);
  for (const ns of namespaces) await api.namespace(ns);
  const wanted = Array.from({ length: count }, (_, i) => ({
    name: `svc-${Math.floor(i / namespaceCount)}`,
    namespace: namespaces[i % namespaceCount] as string,
  }));
  const services: FixtureService[] = new Array(count);
  await pool(wanted, 16, async (w, i) => {
    const created = await api.create<{ spec: { clusterIP: string } }>(
      `/api/v1/namespaces/${w.namespace}/services`,
      clusterIpService(w.name, PORTS),
    );
    services[i] = { ...w, ip: created.spec.clusterIP };
  });
  const heads: FixtureHeadless[] = Array.from({ length: headless }, (_, i) => ({
    name: `hl-${Math.floor(i / namespaceCount)}`,
    namespace: namespaces[i % namespaceCount] as string,
    ips: Array.from({ length: endpoints }, (_, k) => {
      const n = i * endpoints + k;
      return `10.244.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    }),
  }));
  await pool(heads, 16, async (h) => {
    await api.create(`/api/v1/namespaces/${h.namespace}/services`, {
      metadata: { name: h.name },
      spec: { clusterIP: 'None', ports: [{ ...HEADLESS_PORT, targetPort: HEADLESS_PORT.port }] },
    });
    await api.create(`/apis/discovery.k8s.io/v1/namespaces/${h.namespace}/endpointslices`, {
      metadata: { name: `${h.name}-abcde`, labels: { 'kubernetes.io/service-name': h.name } },
      addressType: 'IPv4',
      ports: [HEADLESS_PORT],
      endpoints: h.ips.map((ip, k) => ({ addresses: [ip], hostname: `web-${k}`, conditions: { ready: true } })),
    });
  });
  return { namespaces, services, headless: heads };
}

/** The name of endpoint `k` of a headless service (its hostname under the service name). */
export function endpointName(h: FixtureHeadless, k: number): string {
  return `web-${k}.${serviceName(h)}`;
}

/** The fully qualified service name (no trailing dot). */
export function serviceName(s: { name: string; namespace: string }): string {
  return `${s.name}.${s.namespace}.svc.${DOMAIN}`;
}

/** Address records of the fixture, as kube2sky publishes them: every ClusterIP service, default/kubernetes, and per headless service its name (every endpoint) and each endpoint's hostname. */
export function hostsEntries(f: DnsFixture, kubernetesIp: string): Array<[string, string]> {
  return [
    [kubernetesIp, `kubernetes.default.svc.${DOMAIN}`],
    ...f.services.map((s): [string, string] => [s.ip, serviceName(s)]),
    ...f.headless.flatMap((h) =>
      h.ips.flatMap(
        (ip, k): Array<[string, string]> => [
          [ip, serviceName(h)],
          [ip, endpointName(h, k)],
        ],
      ),
    ),
  ];
}

/** SRV records, as kube2sky publishes them: per ClusterIP service port, target the service name; per headless endpoint, target its hostname name. */
export function srvEntries(f: DnsFixture): SrvHost[] {
  const srv = (p: { name: string; protocol: string }, svc: { name: string; namespace: string }): string =>
    `_${p.name}._${p.protocol.toLowerCase()}.${serviceName(svc)}`;
  return [
    ...f.services.flatMap((s) => PORTS.map((p) => ({ name: srv(p, s), target: serviceName(s), port: p.port }))),
    ...f.headless.flatMap((h) =>
      h.ips.map((_, k) => ({ name: srv(HEADLESS_PORT, h), target: endpointName(h, k), port: HEADLESS_PORT.port })),
    ),
  ];
}

/** A zone file for an authoritative server (Knot) holding exactly the names above, TTL 30 as skydns. */
export function zoneFile(f: DnsFixture, kubernetesIp: string): string {
  const lines = [
    `$ORIGIN ${DOMAIN}.`,
    '$TTL 30',
    `@ SOA ns.dns.${DOMAIN}. hostmaster.${DOMAIN}. 1 28800 7200 604800 30`,
    `@ NS ns.dns.${DOMAIN}.`,
    'ns.dns A 127.0.0.1',
  ];
  const seen = new Set<string>();
  for (const [ip, name] of hostsEntries(f, kubernetesIp)) {
    const line = `${name}. A ${ip}`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  for (const s of srvEntries(f)) lines.push(`${s.name}. SRV 10 10 ${s.port} ${s.target}.`);
  return `${lines.join('\n')}\n`;
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
  const all = f.services.flatMap((s) =>
    PORTS.map((p) => `_${p.name}._${p.protocol.toLowerCase()}.${serviceName(s)} SRV`),
  );
  return all.slice(0, total);
}

/** (e) SRV questions for the named port of every headless service (one record per endpoint in the answer). */
export function headlessSrvQuestions(f: DnsFixture): string[] {
  return f.headless.map((h) => `_${HEADLESS_PORT.name}._${HEADLESS_PORT.protocol.toLowerCase()}.${serviceName(h)} SRV`);
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
        ask([
          `${s.name}.${s.namespace}.svc.${list[0]}`,
          `${s.name}.${s.namespace}.svc.${list[1]}`,
          `${s.name}.${s.namespace}.svc.${list[2]}`,
        ]);
        break;
      default: // `kubernetes.default`
        ask([`kubernetes.default.${list[0]}`, `kubernetes.default.${list[1]}`]);
    }
  }
  return lines;
}
