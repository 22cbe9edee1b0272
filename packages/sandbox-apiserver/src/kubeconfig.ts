/** The name used for the cluster, user and context of the sandbox kubeconfig. */
export const CONTEXT_NAME = 'sandbox';

/** A kubeconfig (YAML) pointing kubectl and client libraries at `server`, with the context selected. */
export function kubeconfigYaml(server: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    'clusters:',
    `- name: ${CONTEXT_NAME}`,
    '  cluster:',
    `    server: ${server}`,
    // client-node refuses plain http unless this is set; kubectl accepts it with http.
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${CONTEXT_NAME}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${CONTEXT_NAME}`,
    '  context:',
    `    cluster: ${CONTEXT_NAME}`,
    `    user: ${CONTEXT_NAME}`,
    '    namespace: default',
    `current-context: ${CONTEXT_NAME}`,
    '',
  ].join('\n');
}
