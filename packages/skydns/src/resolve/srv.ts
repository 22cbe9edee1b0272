import type { Rr } from '../rr.js';
import type { StoredRecord } from '../tree.js';
import { filterGroup } from './group.js';
import { ipGlue, nameGlue } from './glue.js';
import type { SkyRecord } from '@kube-dns-legacy/skymsg';
import {
  NO_NAME,
  answerRecords,
  hostFamily,
  hostName,
  keyName,
  recordPriority,
  recordTtl,
  recordsFor,
  stripLabels,
  type Lookup,
  type Question,
  type ResolveContext,
} from './context.js';

/**
 * Most SRV records one answer builds: an SRV record takes at least 29 bytes in a message (28 with a
 * one-label target), so no more than ~2,260 ever fit in 64 KiB; building the rest of a 4,096-record
 * lookup would only cost time.
 */
const MAX_SRV_RECORDS = 2300;

/**
 * Most distinct name targets one SRV answer looks up glue for: a 64 KiB message holds about a
 * thousand SRV records with their glue, so looking up more would only cost time (each is a lookup
 * and a decode of the target's records).
 */
const MAX_GLUE_TARGETS = 1024;

/** A record that can be an SRV answer: it has a host. */
const hasHost = (record: SkyRecord): boolean => record.host !== undefined && record.host !== '';

/**
 * SkyDNS weights: per priority, each record's share of 100 (a weight of 0 counts as 100),
 * rounded down, so kube2sky's two weight-10 records get 50 each.
 */
function srvWeights(ctx: ResolveContext, records: StoredRecord[]): number[] {
  const totals = new Map<number, number>();
  for (const { record } of records) {
    const p = recordPriority(ctx, record);
    totals.set(p, (totals.get(p) ?? 0) + (record.weight || 100));
  }
  return records.map(({ record }) => {
    const total = totals.get(recordPriority(ctx, record)) ?? 100;
    return Math.floor((100 * (record.weight || 100)) / total);
  });
}

/**
 * SRV: one record per record of the subtree that has a host; IP hosts get a target made from
 * their key (minus `targetstrip` labels) and glue A/AAAA owned by that target; name hosts are the
 * target, with their in-domain addresses as glue.
 */
export function resolveSrv(ctx: ResolveContext, q: Question): Lookup {
  const found = answerRecords(ctx, q.name, hasHost);
  if (found === undefined) return NO_NAME;
  const withHost = filterGroup(found.records).filter((r) => hasHost(r.record));
  const capped = found.capped || withHost.length > MAX_SRV_RECORDS;
  // Capped: the kept run starts at a random point already, unless the subtree was small enough to
  // be read whole; then a random run of the records is kept, so none is always the one left out.
  const from = withHost.length > MAX_SRV_RECORDS ? Math.floor(Math.random() * withHost.length) : 0;
  const records = [...withHost.slice(from), ...withHost.slice(0, from)].slice(0, MAX_SRV_RECORDS);
  const weights = srvWeights(ctx, records);
  const answer: Rr[] = [];
  const additional: Rr[] = [];
  const glued = new Set<string>();
  records.forEach(({ key, record }, i) => {
    const host = record.host as string;
    const ttl = recordTtl(ctx, record);
    const strip = record.targetstrip ?? 0;
    const isIp = hostFamily(host) !== 0;
    const target = isIp ? keyName(ctx, key, strip) : stripLabels(hostName(host), strip);
    answer.push({
      name: q.owner,
      ttl,
      type: 'SRV',
      priority: recordPriority(ctx, record),
      weight: weights[i] ?? 0,
      port: record.port ?? 0,
      target,
    });
    if (isIp) {
      additional.push(ipGlue(target, host, ttl));
    } else if (!glued.has(target.toLowerCase()) && glued.size < MAX_GLUE_TARGETS) {
      glued.add(target.toLowerCase());
      additional.push(...nameGlue(ctx, target));
    }
  });
  return { exists: true, answer, additional, external: [], capped };
}

/** Any other type inside the domain: no data, only NXDOMAIN vs NODATA. */
export function resolveOther(ctx: ResolveContext, q: Question): Lookup {
  return recordsFor(ctx, q.name) === undefined ? NO_NAME : { exists: true, answer: [], additional: [], external: [] };
}
