import { nameToKey } from '@kube-dns-legacy/skymsg';
import { hostFamily, hostName, recordTtl, type Question, type ResolveContext } from './context.js';
import type { Rr } from '../rr.js';

/** True for a name under `in-addr.arpa.` or `ip6.arpa.`. */
export function isReverseName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('.in-addr.arpa.') || lower.endsWith('.ip6.arpa.');
}

/**
 * PTR: the single leaf stored exactly at the reverse name's key (`/skydns/arpa/in-addr/10/0/0/1`)
 * whose host is a name; undefined when there is none (the query is then forwarded).
 */
export function resolvePtr(ctx: ResolveContext, q: Question): Rr | undefined {
  if (q.name.split('.').some((label) => label === '*' || label === 'any')) return undefined;
  const key = nameToKey(q.name, ctx.prefix);
  const found = ctx.store.lookup(key);
  if (found?.length !== 1 || found[0]?.key !== key) return undefined;
  const { record } = found[0];
  if (record.host === undefined || record.host === '' || hostFamily(record.host) !== 0) return undefined;
  return { name: q.owner, ttl: recordTtl(ctx, record), type: 'PTR', target: hostName(record.host) };
}
