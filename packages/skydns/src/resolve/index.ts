import { authoritative, bare, FORWARD, type Resolution } from '../answer.js';
import { resolveAddress } from './address.js';
import { resolveChaos } from './chaos.js';
import { resolveCname } from './cname.js';
import { inDomain, type Question, type ResolveContext } from './context.js';
import { resolveMx } from './mx.js';
import { resolveNs } from './ns.js';
import { isReverseName, resolvePtr } from './ptr.js';
import { resolveSoa } from './soa.js';
import { resolveOther, resolveSrv } from './srv.js';
import { resolveTxt } from './txt.js';

/** Query type codes with their names. */
export const QTYPE: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  251: 'IXFR',
  252: 'AXFR',
  255: 'ANY',
};

/** The CHAOS class code. */
export const CLASS_CHAOS = 3;

/** A question as received: the name as spelled (fully qualified), its type and class codes. */
export interface Query {
  /** The name as the client spelled it, fully qualified. */
  readonly name: string;
  /** QTYPE code. */
  readonly type: number;
  /** QCLASS code. */
  readonly qclass: number;
}

function byType(ctx: ResolveContext, q: Question, type: string): Resolution {
  switch (type) {
    case 'A':
    case 'AAAA':
      return authoritative(ctx, resolveAddress(ctx, q, type));
    case 'CNAME':
      return authoritative(ctx, resolveCname(ctx, q));
    case 'TXT':
      return authoritative(ctx, resolveTxt(ctx, q));
    case 'SRV':
      return authoritative(ctx, resolveSrv(ctx, q));
    case 'MX':
      return authoritative(ctx, resolveMx(ctx, q));
    case 'NS':
      return authoritative(ctx, resolveNs(ctx, q));
    case 'SOA':
      return authoritative(ctx, resolveSoa(ctx, q));
    default:
      return authoritative(ctx, resolveOther(ctx, q));
  }
}

/**
 * Decide the reply to one question, in SkyDNS's order: ANY → REFUSED; CHAOS; not yet loaded →
 * SERVFAIL; the `local.dns` alias; PTR from `/skydns/arpa` (AA=0) else forward; names outside the
 * domain → forward; otherwise the authoritative answer for the type.
 */
export function resolveQuery(ctx: ResolveContext, query: Query): Resolution {
  const type = QTYPE[query.type] ?? `TYPE${query.type}`;
  if (type === 'ANY') return bare('REFUSED');
  const owner = query.name;
  const lower = owner.toLowerCase();
  if (query.qclass === CLASS_CHAOS) {
    const answer = resolveChaos(ctx, owner, type);
    return answer === undefined ? bare('REFUSED') : { ...bare('NOERROR', true, true), answer };
  }
  let name = lower;
  if (ctx.local !== '' && lower === `local.dns.${ctx.domain}`) name = ctx.local;
  const reverse = type === 'PTR' && isReverseName(name);
  if (!reverse && !inDomain(name, ctx.domain)) return FORWARD;
  if (!ctx.store.ready) return bare('SERVFAIL', false, true);
  const q: Question = { owner, name };
  if (reverse) {
    const ptr = resolvePtr(ctx, q);
    return ptr === undefined ? FORWARD : { ...bare('NOERROR', false, true), answer: [ptr] };
  }
  return byType(ctx, q, type);
}
