import type { Etcd3 } from 'etcd3';

/**
 * The raw value of `/<prefix>/config`, or undefined when absent. Retries until `timeoutMs` has
 * passed (etcd often starts beside us), then rejects with the last error.
 */
export async function readConfigKey(client: Etcd3, prefix: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let lastError: Error = new Error(`etcd did not answer within ${timeoutMs} ms`);
  while (Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`etcd did not answer within ${timeoutMs} ms`)),
        Math.max(1, deadline - Date.now()),
      );
    });
    try {
      const value = await Promise.race([client.get(`/${prefix}/config`).string(), timeout]);
      return value ?? undefined;
    } catch (err) {
      lastError = err as Error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(0, deadline - Date.now()))));
    } finally {
      clearTimeout(timer);
    }
  }
  throw lastError;
}
