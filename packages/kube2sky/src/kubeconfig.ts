import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/** How kube2sky finds the API server (the original's order). */
export interface ApiServerOptions {
  readonly kubeMasterUrl?: string;
  readonly kubecfgFile?: string;
}

/**
 * True for an `http://` server. client-node refuses plain HTTP unless `skipTLSVerify` is set, though
 * there is no TLS to verify; the original's usual `--kube-master-url=http://master:8080` needs it.
 * `https://` servers keep verification on.
 */
function plainHttp(url: string): boolean {
  return url.toLowerCase().startsWith('http://');
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
    const url = options.kubeMasterUrl;
    if (url !== undefined) {
      kc.loadFromOptions({
        clusters: kc.clusters.map((c) =>
          c.name === current.name ? { ...c, server: url, skipTLSVerify: c.skipTLSVerify || plainHttp(url) } : c,
        ),
        users: kc.users,
        contexts: kc.contexts,
        currentContext: kc.currentContext,
      });
    }
    return kc;
  }
  if (options.kubeMasterUrl !== undefined) {
    kc.loadFromClusterAndUser(
      { name: 'kube2sky', server: options.kubeMasterUrl, skipTLSVerify: plainHttp(options.kubeMasterUrl) },
      { name: 'kube2sky' },
    );
    return kc;
  }
  if (!process.env['KUBERNETES_SERVICE_HOST'] || !process.env['KUBERNETES_SERVICE_PORT']) {
    throw new Error(
      'no --kube-master-url or --kubecfg-file, and not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset)',
    );
  }
  kc.loadFromCluster();
  return kc;
}
