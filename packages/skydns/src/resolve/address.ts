import { nameToKey } from '@kube-dns-legacy/skymsg';
import type { Rr } from '../rr.js';
import { filterGroup } from './group.js';
import {
  NO_NAME,
  answerRecords,
  hostFamily,
  hostName,
  inDomain,
  ipv4Of,
  MAX_ANSWER_RECORDS,
  recordTtl,
  recordsFor,
  type ExternalTarget,
  type Lookup,
  type Question,
  type ResolveContext,
} from './context.js';

/** Longest CNAME chain followed inside the domain (SkyDNS: 8). */
const MAX_CNAME_CHAIN = 8;

/** True when `key` lies in a `_proto`/`_port` branch below `base` (an SRV leaf, not an address). */
function underServiceLabel(base: string, key: string): boolean {
  if (!key.startsWith(`${base}/`)) return false;
  return key
    .slice(base.length + 1)
    .split('/')
    .some((segment) => segment.startsWith('_'));
}

/**
 * A/AAAA for a name: addresses of the family from its subtree, and for name hosts a CNAME chased
 * inside the domain (at most 8 deep, loop-safe, case-insensitive; dropped when it leads nowhere) or
 * marked for upstream resolution when the target is outside. SRV leaves (`_proto/_port` branches
 * below the name) never turn into CNAMEs, and a name that has addresses gets no CNAME beside them.
 */
export function resolveAddress(ctx: ResolveContext, q: Question, type: 'A' | 'AAAA'): Lookup {
  return chase(ctx, q.owner, q.name, type, new Set([q.name.toLowerCase()]));
}

function chase(ctx: ResolveContext, owner: string, name: string, type: 'A' | 'AAAA', seen: Set<string>): Lookup {
  const family = type === 'A' ? 4 : 6;
  const found = answerRecords(ctx, name, (record) => hostFamily(record.host) === family);
  if (found === undefined) return NO_NAME;
  const addresses: Rr[] = [];
  for (const { record } of filterGroup(found.records)) {
    if (addresses.length >= MAX_ANSWER_RECORDS) break;
    if (hostFamily(record.host) !== family || record.host === undefined) continue;
    const address = family === 4 ? ipv4Of(record.host) : record.host;
    addresses.push({ name: owner, ttl: recordTtl(ctx, record), type, address });
  }
  if (addresses.length > 0)
    return { exists: true, answer: addresses, additional: [], external: [], capped: found.capped };
  // No address: a name host may make a CNAME (from the name's records of every kind).
  const records = filterGroup(found.filtered ? (recordsFor(ctx, name) ?? []) : found.records);
  const base = nameToKey(name, ctx.prefix);
  for (const { key, record } of records) {
    if (hostFamily(record.host) !== 0 || record.host === undefined || record.host === '') continue;
    if (underServiceLabel(base, key)) continue;
    const target = hostName(record.host);
    const lower = target.toLowerCase();
    if (lower === name.toLowerCase() || seen.has(lower) || seen.size > MAX_CNAME_CHAIN) continue;
    const cname: Rr & { type: 'CNAME' } = { name: owner, ttl: recordTtl(ctx, record), type: 'CNAME', target };
    if (!inDomain(lower, ctx.domain)) {
      const external: ExternalTarget = { cname, type };
      return { exists: true, answer: [cname], additional: [], external: [external] };
    }
    const next = chase(ctx, target, lower, type, new Set([...seen, lower]));
    if (next.answer.length === 0) continue;
    return {
      exists: true,
      answer: [cname, ...next.answer],
      additional: next.additional,
      external: next.external,
      capped: next.capped,
    };
  }
  return { exists: true, answer: [], additional: [], external: [] };
}
