import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/** How kube2sky finds the API server (the original's order). */
export interface ApiServerOptions {
  readonly kubeMasterUrl?: string;
  readonly kubecfgFile?: string;
}

/**
 * The client configuration, in the original order: a URL alone → that server without credentials;
 * a kubeconfig → its current context, with the URL (if given) replacing its server; neither →
 * in-cluster service account (bearer token re-read from its file every minute, so rotation works,
 * and the service-account CA bundle).
 */
export function loadKubeConfig(options: ApiServerOptions): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubecfgFile !== undefined) {
    try {
      kc.loadFromFile(options.kubecfgFile);
    } catch (err) {
      throw new Error(`kubeconfig ${options.kubecfgFile}: ${(err as Error).message}`);
    }
    const current = kc.getCurrentCluster();
    if (current === null) throw new Error(`kubeconfig ${options.kubecfgFile} has no current cluster`);
    if (options.kubeMasterUrl !== undefined) {
      kc.loadFromOptions({
        clusters: kc.clusters.map((c) => (c.name === current.name ? { ...c, server: options.kubeMasterUrl ?? c.server } : c)),
        users: kc.users,
        contexts: kc.contexts,
        currentContext: kc.currentContext,
      });
    }
    return kc;
  }
  if (options.kubeMasterUrl !== undefined) {
    kc.loadFromClusterAndUser({ name: 'kube2sky', server: options.kubeMasterUrl, skipTLSVerify: false }, { name: 'kube2sky' });
    return kc;
  }
  if (!process.env['KUBERNETES_SERVICE_HOST'] || !process.env['KUBERNETES_SERVICE_PORT']) {
    throw new Error('no --kube-master-url or --kubecfg-file, and not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset)');
  }
  kc.loadFromCluster();
  return kc;
}
