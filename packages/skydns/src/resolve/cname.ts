import { nameToKey } from '@kube-dns-legacy/skymsg';
import { filterGroup } from './group.js';
import { NO_NAME, hostFamily, hostName, recordTtl, type Lookup, type Question, type ResolveContext } from './context.js';

/** CNAME: an exact lookup of the name's key; a name host there is the CNAME (not chased). */
export function resolveCname(ctx: ResolveContext, q: Question): Lookup {
  const key = nameToKey(q.name, ctx.prefix);
  if (!ctx.store.exists(key)) return NO_NAME;
  const found = ctx.store.lookup(key) ?? [];
  const exact = filterGroup(found).filter((r) => r.key === key);
  const record = exact[0]?.record;
  if (record?.host === undefined || record.host === '' || hostFamily(record.host) !== 0) {
    return { exists: true, answer: [], additional: [], external: [] };
  }
  return {
    exists: true,
    answer: [{ name: q.owner, ttl: recordTtl(ctx, record), type: 'CNAME', target: hostName(record.host) }],
    additional: [],
    external: [],
  };
}
