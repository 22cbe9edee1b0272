import type { EtcdClient } from '@kube-dns-legacy/etcdkit';

/**
 * The raw value of `/<prefix>/config`, or undefined when absent. Retries until `timeoutMs` has
 * passed (etcd often starts beside us), then rejects with the last error.
 */
export async function readConfigKey(
  client: EtcdClient,
  prefix: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let lastError: Error = new Error(`etcd did not answer within ${timeoutMs} ms`);
  while (Date.now() < deadline) {
    try {
      return await client.get(`/${prefix}/config`, { timeoutMs: Math.max(1, deadline - Date.now()) });
    } catch (err) {
      lastError = err as Error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(0, deadline - Date.now()))));
    }
  }
  throw lastError;
}
