import { isIP } from 'node:net';
import { decodeRecord, dnsNameProblem } from '@kube-dns-legacy/skymsg';

/**
 * Why an etcd value under the prefix is not a record skydns can serve (not a SkyDNS record, or a
 * host that is neither an IP nor a DNS name), or undefined when it is one.
 */
export function valueProblem(key: string, json: string): string | undefined {
  try {
    const record = decodeRecord(key, json);
    const host = record.host;
    if (host !== undefined && host !== '' && isIP(host) === 0) {
      const problem = dnsNameProblem(host);
      if (problem !== undefined) return `${key}: field "host": ${problem}`;
    }
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
