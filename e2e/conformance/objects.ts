import type { ControlPlane } from '@kube-dns-legacy/control-plane';
import { encodeRecord, leafLabel, nameToKey, podLabel, reverseName } from '@kube-dns-legacy/skymsg';
import { waitFor } from '@kube-dns-legacy/testkit';
import { kubeRecord } from '../src/reliability-cluster.js';
import { NODE } from './pod.js';

// The cluster objects of the records test, and the records docs/records.md and docs/kube2sky.md
// say they make, written out from the documentation with skymsg only.

/** The namespace the test objects live in. */
export const NS = 'conf';
const DOMAIN = 'cluster.local.';

/** A pod on NODE with labels, optionally hostname/subdomain (its status is set separately). */
export function pod(
  name: string,
  labels: Record<string, string>,
  extra: { hostname?: string; subdomain?: string } = {},
): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: {
      nodeName: NODE,
      ...extra,
      containers: [
        { name: 'app', image: 'registry.k8s.io/pause:3.10', ports: [{ name: 'http', containerPort: 8080 }] },
      ],
    },
  };
}

/** The status a kubelet would write for a running pod with these IPs, Ready or not. */
export function podStatus(ips: readonly string[], ready: boolean): object {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: boolean): object => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: now,
  });
  return {
    status: {
      phase: 'Running',
      hostIP: '192.168.0.1',
      hostIPs: [{ ip: '192.168.0.1' }],
      podIP: ips[0],
      podIPs: ips.map((ip) => ({ ip })),
      startTime: now,
      conditions: [
        condition('Initialized', true),
        condition('PodScheduled', true),
        condition('ContainersReady', ready),
        condition('Ready', ready),
      ],
      containerStatuses: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          imageID: '',
          ready,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: now } },
        },
      ],
    },
  };
}

/** Pods: web-0 (hostname, subdomain of web-headless), web-1 (dual-stack IPs), web-2 (not ready). */
export const PODS: ReadonlyArray<{ name: string; ips: string[]; ready: boolean; object: object }> = [
  {
    name: 'web-0',
    ips: ['10.244.1.5'],
    ready: true,
    object: pod('web-0', { app: 'web' }, { hostname: 'web-0', subdomain: 'web-headless' }),
  },
  { name: 'web-1', ips: ['10.244.2.7', 'fd00:244::7'], ready: true, object: pod('web-1', { app: 'web' }) },
  { name: 'web-2', ips: ['10.244.3.9'], ready: false, object: pod('web-2', { app: 'web' }) },
];

const service = (name: string, spec: object): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec,
});

/** Services of every kind kube2sky handles. */
export const SERVICES: readonly object[] = [
  service('web', {
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, targetPort: 8080 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  }),
  service('web-headless', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 8080 }] }),
  service('manual', { clusterIP: 'None', ports: [{ name: 'db', port: 5432 }] }),
  service('ext', { type: 'ExternalName', externalName: 'db.example.com' }),
  service('dual', {
    ipFamilyPolicy: 'RequireDualStack',
    ipFamilies: ['IPv4', 'IPv6'],
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80 }],
  }),
  service('v6', { ipFamilies: ['IPv6'], ports: [{ name: 'http', port: 80 }] }),
];

/** The hand-written Endpoints of the selector-less `manual` Service (mirrored into a slice by the controller manager). */
export const MANUAL_ENDPOINTS = {
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'manual', namespace: NS },
  subsets: [
    {
      addresses: [{ ip: '10.250.0.1', hostname: 'primary' }, { ip: '10.250.0.2' }],
      notReadyAddresses: [{ ip: '10.250.0.3' }],
      ports: [{ name: 'db', port: 5432, protocol: 'TCP' }],
    },
  ],
};

const svcName = (svc: string): string => `${svc}.${NS}.svc.${DOMAIN}`;

/** The records of a headless service's ready endpoint (label: hostname or FNV), per docs/kube2sky.md. */
function headless(
  out: Map<string, string>,
  svc: string,
  ip: string,
  hostname: string | undefined,
  ports: Array<[string, string, number]>,
): void {
  const value = kubeRecord(ip);
  const label = hostname ?? leafLabel(value);
  out.set(`${nameToKey(svcName(svc))}/${label}`, value);
  for (const [proto, name, port] of ports)
    out.set(
      `${nameToKey(`_${name}._${proto}.${svcName(svc)}`)}/${label}`,
      kubeRecord(`${label}.${svcName(svc)}`, port),
    );
  if (hostname !== undefined) out.set(nameToKey(reverseName(ip)), kubeRecord(`${hostname}.${svcName(svc)}`));
}

/** A ClusterIP service's records: an address and PTR per IP, SRV per named port under the first IP. */
function clusterIp(
  out: Map<string, string>,
  name: string,
  ips: readonly string[],
  ports: Array<[string, string, number]>,
): void {
  for (const ip of ips) {
    out.set(`${nameToKey(name)}/${leafLabel(kubeRecord(ip))}`, kubeRecord(ip));
    out.set(nameToKey(reverseName(ip)), kubeRecord(name));
  }
  const primary = leafLabel(kubeRecord(ips[0] ?? ''));
  for (const [proto, port, number] of ports)
    out.set(`${nameToKey(`_${port}._${proto}.${name}`)}/${primary}`, kubeRecord(name, number));
}

/** Every record etcd must hold for the cluster, given the ClusterIPs the API server allocated. */
export function expectedRecords(clusterIps: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const out = new Map<string, string>();
  const version = encodeRecord({ text: '1.1.0', ttl: 28800 });
  out.set(`${nameToKey(`dns-version.${DOMAIN}`)}/${leafLabel(version)}`, version);
  clusterIp(out, `kubernetes.default.svc.${DOMAIN}`, clusterIps.get('default/kubernetes') ?? [], [
    ['tcp', 'https', 443],
  ]);
  clusterIp(out, `kube-dns.kube-system.svc.${DOMAIN}`, clusterIps.get('kube-system/kube-dns') ?? [], [
    ['udp', 'dns', 53],
    ['tcp', 'dns-tcp', 53],
  ]);
  clusterIp(out, svcName('web'), clusterIps.get(`${NS}/web`) ?? [], [
    ['tcp', 'http', 80],
    ['udp', 'dns', 53],
  ]);
  clusterIp(out, svcName('dual'), clusterIps.get(`${NS}/dual`) ?? [], [['tcp', 'http', 80]]);
  clusterIp(out, svcName('v6'), clusterIps.get(`${NS}/v6`) ?? [], [['tcp', 'http', 80]]);
  out.set(`${nameToKey(svcName('ext'))}/${leafLabel(kubeRecord('db.example.com'))}`, kubeRecord('db.example.com'));
  // Headless: ready endpoints only; web-0's hostname comes from its pod (hostname + subdomain = the service).
  headless(out, 'web-headless', '10.244.1.5', 'web-0', [['tcp', 'http', 8080]]);
  headless(out, 'web-headless', '10.244.2.7', undefined, [['tcp', 'http', 8080]]);
  headless(out, 'manual', '10.250.0.1', 'primary', [['tcp', 'db', 5432]]);
  headless(out, 'manual', '10.250.0.2', undefined, [['tcp', 'db', 5432]]);
  for (const p of PODS) {
    for (const ip of p.ips)
      out.set(`${nameToKey(`${podLabel(ip)}.${NS}.pod.${DOMAIN}`)}/${leafLabel(kubeRecord(ip))}`, kubeRecord(ip));
  }
  return out;
}

/** Create the namespace, Services, Endpoints and Pods (with their status) on `plane`; resolves with every Service's ClusterIPs (`namespace/name` → IPs). */
export async function createTestObjects(plane: ControlPlane): Promise<Map<string, string[]>> {
  await plane.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await waitFor(
    'the default ServiceAccount of the new namespace',
    async () => (await plane.get(`/api/v1/namespaces/${NS}/serviceaccounts/default`)).status === 200,
    30_000,
  );
  await plane.apply(...SERVICES, MANUAL_ENDPOINTS, ...PODS.map((p) => p.object));
  for (const p of PODS) {
    await plane.kubectl([
      'patch',
      'pod',
      p.name,
      '-n',
      NS,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(podStatus(p.ips, p.ready)),
    ]);
  }
  const services = JSON.parse(await plane.kubectl(['get', 'services', '-A', '-o', 'json'])) as {
    items: Array<{ metadata: { name: string; namespace: string }; spec: { clusterIPs?: string[] } }>;
  };
  return new Map(
    services.items.map((s) => [
      `${s.metadata.namespace}/${s.metadata.name}`,
      (s.spec.clusterIPs ?? []).filter((ip) => ip !== 'None'),
    ]),
  );
}
