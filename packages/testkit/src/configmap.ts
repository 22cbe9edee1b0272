/**
 * The kube-dns ConfigMap as a user writes it (YAML, each data key a JSON string; the example of
 * docs/operations.md), named `name` in kube-system.
 */
export function kubeDnsConfigMap(stubDomains: string, upstreamNameservers: string, name = 'kube-dns'): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: kube-system
data:
  stubDomains: |
    ${stubDomains}
  upstreamNameservers: |
    ${upstreamNameservers}
`;
}
