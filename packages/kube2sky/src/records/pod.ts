import { isDnsLabel, podLabel } from '@kube-dns-legacy/skymsg';
import { hashLabel, hostValue, keyIn } from './names.js';
import { ipProblem } from './values.js';
import type { PodLike, RecordContext, RecordSet } from './types.js';

/** Pod phases whose IP may already belong to another pod: they get no record. */
const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** The records of one pod: `<a-b-c-d>.<ns>.pod.<domain>` per pod IP (none for terminal pods or pods without an IP). */
export function podRecords(ctx: RecordContext, pod: PodLike): RecordSet {
  const records = new Map<string, string>();
  const warnings: string[] = [];
  const namespace = pod.metadata?.namespace ?? '';
  if (!isDnsLabel(namespace)) {
    warnings.push(`pod ${namespace}/${pod.metadata?.name ?? ''}: namespace is not a DNS-1123 label; no records`);
    return { records, warnings };
  }
  if (TERMINAL_PHASES.has(pod.status?.phase ?? '')) return { records, warnings };
  const listed = (pod.status?.podIPs ?? []).map((p) => p.ip ?? '');
  const ips = listed.length > 0 ? listed : pod.status?.podIP ? [pod.status.podIP] : [];
  for (const ip of ips) {
    const problem = ipProblem(ip);
    if (problem !== undefined) {
      warnings.push(
        `pod ${namespace}/${pod.metadata?.name ?? ''}: pod IP ${JSON.stringify(ip)} is ${problem}; skipped`,
      );
      continue;
    }
    records.set(keyIn(ctx, hashLabel(ip), podLabel(ip), namespace, 'pod'), hostValue(ip));
  }
  return { records, warnings };
}
