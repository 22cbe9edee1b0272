import { type ApiClient, clusterIpService, pool } from '../lib/sandbox-client.js';

/** How many objects the scale benchmark creates. */
export interface ScaleSizes {
  readonly namespaces: number;
  readonly clusterIpServices: number;
  readonly headlessServices: number;
  readonly endpointsPerHeadless: number;
  readonly pods: number;
}

/** The pod IP of pod number `i` (10.244.0.1, …, 250 per /24). */
export function podIp(i: number): string {
  return `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/** Records kube2sky should write for these sizes (see docs/kube2sky.md): per ClusterIP service 1 A + 2 SRV + 1 PTR; per headless endpoint with a hostname 1 A + 1 SRV + 1 PTR; 1 per running pod; plus default/kubernetes (A, SRV, PTR) and dns-version. */
export function expectedKeys(s: ScaleSizes): number {
  return s.clusterIpServices * 4 + s.headlessServices * s.endpointsPerHeadless * 3 + s.pods + 3 + 1;
}

/** Create namespaces, ClusterIP services (two named ports), headless services with an EndpointSlice of ready endpoints (pod IPs, hostnames), and running pods. Resolves with the count of API calls. */
export async function populate(api: ApiClient, s: ScaleSizes, concurrency = 32): Promise<number> {
  const namespaces = Array.from({ length: s.namespaces }, (_, i) => `scale-${i}`);
  for (const ns of namespaces) await api.namespace(ns);
  // A real API server admits pods only once the controller manager made the namespace's default ServiceAccount.
  for (const ns of namespaces) {
    for (
      let tries = 0;
      (await api.get(`/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 404 && tries < 300;
      tries++
    )
      await new Promise((r) => setTimeout(r, 100));
  }
  const nsOf = (i: number): string => namespaces[i % namespaces.length] as string;
  const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  await pool(ids(s.clusterIpServices), concurrency, async (i) => {
    await api.create(
      `/api/v1/namespaces/${nsOf(i)}/services`,
      clusterIpService(`svc-${i}`, [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'grpc', port: 9090, protocol: 'TCP' },
      ]),
    );
  });
  await pool(ids(s.headlessServices), concurrency, async (i) => {
    const ns = nsOf(i);
    await api.create(`/api/v1/namespaces/${ns}/services`, {
      metadata: { name: `hl-${i}` },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
    });
    await api.create(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, {
      metadata: { name: `hl-${i}-abcde`, labels: { 'kubernetes.io/service-name': `hl-${i}` } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: Array.from({ length: s.endpointsPerHeadless }, (_, k) => ({
        addresses: [podIp(i * s.endpointsPerHeadless + k)],
        hostname: `web-${k}`,
        conditions: { ready: true },
      })),
    });
  });
  await pool(ids(s.pods), concurrency, async (i) => {
    const status = { phase: 'Running', podIP: podIp(i), podIPs: [{ ip: podIp(i) }] };
    const path = `/api/v1/namespaces/${nsOf(i)}/pods`;
    const created = await api.create<{ status?: { podIP?: string } }>(path, {
      metadata: { name: `pod-${i}` },
      spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }], nodeName: `node-${i % 100}` },
      status,
    });
    // The sandbox keeps a status given on create; a real API server resets it, and a kubelet writes it later.
    if (created.status?.podIP !== podIp(i)) await api.patchStatus(`${path}/pod-${i}`, status);
  });
  return s.namespaces + s.clusterIpServices + 2 * s.headlessServices + s.pods;
}
