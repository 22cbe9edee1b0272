import { nameToKey, podLabel } from '@kube-dns-legacy/skymsg';
import { isIP } from 'node:net';
import { ipv4Of, recordsFor, type ResolveContext } from './resolve/context.js';

/** Where autopath looks for a question's name, in order, once the name itself does not exist. */
export interface AutopathPlan {
  /** The name minus the asking pod's first search domain (`<ns>.svc.<domain>`), fully qualified. */
  readonly base: string;
  /** `<base>.svc.<domain>` and `<base>.<domain>`: the rest of the pod's search path inside the domain. */
  readonly candidates: readonly string[];
}

/**
 * The namespace of the one pod that has `address` (kube2sky's `<a-b-c-d>.<ns>.pod.<domain>`
 * records), or undefined when no pod or more than one has it (host-network pods share the node's).
 */
function podNamespace(ctx: ResolveContext, address: string): string | undefined {
  const ip = ipv4Of(address);
  if (isIP(ip) === 0) return undefined;
  const found = recordsFor(ctx, `${podLabel(ip)}.*.pod.${ctx.domain}`);
  if (found === undefined) return undefined;
  const depth = nameToKey(`pod.${ctx.domain}`, ctx.prefix).split('/').length;
  const namespaces = new Set<string>();
  for (const { key, record } of found) {
    if (record.host !== undefined && ipv4Of(record.host).toLowerCase() === ip.toLowerCase())
      namespaces.add(key.split('/')[depth] ?? '');
  }
  return namespaces.size === 1 ? [...namespaces][0] : undefined;
}

/**
 * CoreDNS's autopath for a question from `address`: applies when the name ends in the asking
 * pod's first search domain `<ns>.svc.<domain>` with at least one label before it; undefined
 * otherwise (no pod, an ambiguous address, another namespace, or a name of another shape).
 */
export function autopathPlan(ctx: ResolveContext, name: string, address: string): AutopathPlan | undefined {
  const lower = name.toLowerCase();
  const svc = `.svc.${ctx.domain}`;
  if (!lower.endsWith(svc)) return undefined;
  const rest = lower.slice(0, lower.length - svc.length);
  const dot = rest.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ns = rest.slice(dot + 1);
  const base = rest.slice(0, dot);
  if (podNamespace(ctx, address) !== ns) return undefined;
  return { base: `${base}.`, candidates: [`${base}.svc.${ctx.domain}`, `${base}.${ctx.domain}`] };
}
