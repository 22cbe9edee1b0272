import { fileURLToPath } from 'node:url';
import { ManagedProcess, waitFor } from '@kube-dns-legacy/testkit';

// Helpers for kube2sky's tests that run its executable (not compiled into dist).

/** kube2sky's executable as built. */
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** kube2sky (dist/main.js) writing to `etcdServer`, watching the API server of `kubeconfig`, /healthz on `port`. */
export function startKube2sky(
  etcdServer: string,
  kubeconfig: string,
  port: number,
  extraArgs: readonly string[] = [],
): ManagedProcess {
  return new ManagedProcess('kube2sky', 'node', [
    MAIN,
    `--etcd-server=${etcdServer}`,
    `--kubecfg-file=${kubeconfig}`,
    `--healthz-port=${port}`,
    ...extraArgs,
  ]);
}

/** Resolves once kube2sky's /readiness on `port` says 200 (within 20 s). */
export async function waitReady(port: number): Promise<void> {
  await waitFor(
    'kube2sky ready',
    async () => (await fetch(`http://127.0.0.1:${port}/readiness`)).status === 200,
    20_000,
  );
}

/** kube2sky_errors_total of `kind` from /metrics on `port` (0 before the first). */
export async function errorCount(port: number, kind: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`kube2sky_errors_total\\{kind="${kind}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}
