import { nameToKey } from '@kube-dns-legacy/skymsg';
import type { Rr } from '../rr.js';
import { filterGroup } from './group.js';
import { ipGlue } from './glue.js';
import {
  hostFamily,
  keyName,
  recordTtl,
  recordsFor,
  type Lookup,
  type Question,
  type ResolveContext,
} from './context.js';

/**
 * NS: only at the apex, from the records under `ns.dns.<domain>`; each record with an IP host
 * yields `<domain> NS <name of its key>` and glue. Without such records, the server's own name
 * that the SOA gives (`ns.dns.<domain>`, no glue), as CoreDNS does, rather than SkyDNS's empty
 * answer. Elsewhere NODATA (NXDOMAIN when the name is absent).
 */
export function resolveNs(ctx: ResolveContext, q: Question): Lookup {
  if (q.name !== ctx.domain) {
    return recordsFor(ctx, q.name) === undefined
      ? { exists: false, answer: [], additional: [], external: [] }
      : { exists: true, answer: [], additional: [], external: [] };
  }
  const answer: Rr[] = [];
  const additional: Rr[] = [];
  const servers = ctx.store.lookup(nameToKey(`ns.dns.${ctx.domain}`, ctx.prefix)) ?? [];
  for (const { key, record } of filterGroup(servers)) {
    if (record.host === undefined || hostFamily(record.host) === 0) continue;
    const ttl = recordTtl(ctx, record);
    const target = keyName(ctx, key);
    answer.push({ name: q.owner, ttl, type: 'NS', target });
    additional.push(ipGlue(target, record.host, ttl));
  }
  if (answer.length === 0) answer.push({ name: q.owner, ttl: ctx.ttl, type: 'NS', target: `ns.dns.${ctx.domain}` });
  return { exists: true, answer, additional, external: [] };
}
