import type { Rr } from '../rr.js';
import { filterGroup } from './group.js';
import { ipGlue, nameGlue } from './glue.js';
import {
  NO_NAME,
  hostFamily,
  hostName,
  keyName,
  MAX_ANSWER_RECORDS,
  recordPriority,
  recordTtl,
  answerRecords,
  stripLabels,
  type Lookup,
  type Question,
  type ResolveContext,
} from './context.js';

/** MX: records with `mail: true`; preference = priority; targets and glue as for SRV (group applied). */
export function resolveMx(ctx: ResolveContext, q: Question): Lookup {
  const found = answerRecords(
    ctx,
    q.name,
    (record) => record.mail === true && record.host !== undefined && record.host !== '',
  );
  if (found === undefined) return NO_NAME;
  const answer: Rr[] = [];
  const additional: Rr[] = [];
  for (const { key, record } of filterGroup(found.records)) {
    if (answer.length >= MAX_ANSWER_RECORDS) break;
    if (record.mail !== true || record.host === undefined || record.host === '') continue;
    const ttl = recordTtl(ctx, record);
    const strip = record.targetstrip ?? 0;
    const isIp = hostFamily(record.host) !== 0;
    const target = isIp ? keyName(ctx, key, strip) : stripLabels(hostName(record.host), strip);
    answer.push({ name: q.owner, ttl, type: 'MX', preference: recordPriority(ctx, record), target });
    additional.push(...(isIp ? [ipGlue(target, record.host, ttl)] : nameGlue(ctx, target)));
  }
  return { exists: true, answer, additional, external: [], capped: found.capped };
}
