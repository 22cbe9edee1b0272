import { nameToKey } from '@kube-dns-legacy/skymsg';
import { filterGroup } from './group.js';
import {
  NO_NAME,
  hostFamily,
  hostName,
  recordTtl,
  type Lookup,
  type Question,
  type ResolveContext,
} from './context.js';

/**
 * CNAME: the record at the name's key, else the one record directly below it (as kube2sky writes an
 * ExternalName, under its hash label): a name host without a port there is the CNAME (not chased).
 * SRV records (with a port) are never CNAMEs, as for A questions.
 */
export function resolveCname(ctx: ResolveContext, q: Question): Lookup {
  const key = nameToKey(q.name, ctx.prefix);
  if (!ctx.store.exists(key)) return NO_NAME;
  const found = filterGroup(ctx.store.lookup(key) ?? []);
  const exact = found.filter((r) => r.key === key);
  const below = found.filter((r) => r.key.startsWith(`${key}/`) && !r.key.includes('/', key.length + 1));
  const own = exact.length > 0 ? exact[0] : below.length === 1 && found.length === 1 ? below[0] : undefined;
  const record = own?.record.port === undefined || own.record.port === 0 ? own?.record : undefined;
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
