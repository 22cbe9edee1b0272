import { readFileSync } from 'node:fs';

/** The name used for the cluster, user and context of the sandbox kubeconfig. */
const CONTEXT_NAME = 'sandbox';

/**
 * A kubeconfig (YAML) pointing kubectl and client libraries at `server`, with the context selected. Over
 * https it carries the CA; over plain http it sets insecure-skip-tls-verify, without which
 * @kubernetes/client-node refuses http servers (kubectl accepts either).
 */
export function kubeconfigYaml(server: string, token: string, caPath?: string): string {
  const trust = caPath
    ? `    certificate-authority-data: ${readFileSync(caPath).toString('base64')}`
    : '    insecure-skip-tls-verify: true';
  return [
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    'clusters:',
    `- name: ${CONTEXT_NAME}`,
    '  cluster:',
    `    server: ${server}`,
    trust,
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
