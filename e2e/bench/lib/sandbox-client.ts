/** A minimal JSON client for the sandbox API server's HTTP API (keep-alive `fetch`). */
export class ApiClient {
  constructor(private readonly base: string) {}

  /** POST a new object to a collection path; resolves with the created object, throws on any status but 201. */
  async create<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  /** DELETE an object; throws on any status but 200. */
  async remove(path: string): Promise<void> {
    const res = await fetch(`${this.base}${path}`, { method: 'DELETE' });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`DELETE ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }

  /** Create a namespace (409 AlreadyExists is fine). */
  async namespace(name: string): Promise<void> {
    const res = await fetch(`${this.base}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name } }) });
    await res.arrayBuffer();
    if (res.status !== 201 && res.status !== 409) throw new Error(`POST namespace ${name}: HTTP ${res.status}`);
  }
}

/** Run `work` over `items` with at most `concurrency` in flight; rejects on the first failure. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** A ClusterIP Service with named ports. */
export function clusterIpService(name: string, ports: ReadonlyArray<{ name: string; port: number; protocol: 'TCP' | 'UDP' }>): Record<string, unknown> {
  return { metadata: { name }, spec: { type: 'ClusterIP', ports: ports.map((p) => ({ ...p, targetPort: p.port })) } };
}
