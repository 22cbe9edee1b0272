import { CLASS, RCODE, TYPE, typeName, type RcodeName } from '../dns-codes.js';
import { authoritative, bare, completeExternal, FORWARD, type Resolution } from './answer.js';
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

/** The CHAOS class code. */
export const CLASS_CHAOS = CLASS.CHAOS;

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
  const type = typeName(query.type);
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

/** When questions may go upstream (`-no-rec`, `ndots`, and whether there is any server). */
export interface ForwardPolicy {
  /** `-no-rec`: never forward. */
  readonly noRec: boolean;
  /** Fewest labels a name needs before it is forwarded (`ndots`). */
  readonly ndots: number;
  /** False when no upstream server is configured. */
  readonly haveServers: boolean;
}

/** A question as parsed from the wire: {@link Query} plus what the parse learnt about the name. */
export interface WireQuestion extends Query {
  /** False when a label holds bytes that cannot be part of a SkyDNS key. */
  readonly plain: boolean;
  /** Number of labels of the name. */
  readonly labelCount: number;
}

/** Which part of the server a reply counts under (SkyDNS's `system` label). */
export type Source = 'auth' | 'reverse' | 'recursive';

/** What to do with one question. */
export type Decision =
  /** Encode this resolution; `cacheable` when the answer cache may keep it until the records change. */
  | { readonly kind: 'answer'; readonly resolution: Resolution; readonly source: Source; readonly cacheable: boolean }
  /** Reply with only a code and the question (`refused`: forwarding was not allowed). */
  | {
      readonly kind: 'code';
      readonly rcode: RcodeName;
      readonly aa: boolean;
      readonly ra: boolean;
      readonly source: Source;
      readonly refused: boolean;
    }
  /** Send the message upstream unchanged. */
  | { readonly kind: 'forward'; readonly source: Source }
  /** Ask upstream for the addresses of `resolution.external`, then {@link completeExternal}. */
  | { readonly kind: 'external'; readonly resolution: Resolution };

const NOT_PLAIN: Decision = Object.freeze({
  kind: 'code',
  rcode: 'NXDOMAIN',
  aa: true,
  ra: true,
  source: 'auth',
  refused: false,
});

/** Forward, or refuse with SERVFAIL (RA=0 under `-no-rec`) when the policy does not allow it. */
function forwardOrRefuse(policy: ForwardPolicy, labelCount: number, source: Source): Decision {
  if (policy.noRec) return { kind: 'code', rcode: 'SERVFAIL', aa: false, ra: false, source, refused: true };
  if (labelCount < policy.ndots || !policy.haveServers)
    return { kind: 'code', rcode: 'SERVFAIL', aa: false, ra: true, source, refused: true };
  return { kind: 'forward', source };
}

/**
 * The whole decision for one question: a name that cannot be a SkyDNS key is NXDOMAIN in the
 * domain and forwarded outside it; otherwise {@link resolveQuery}'s answer, or forwarding as the
 * policy allows (`-no-rec`, `ndots`, servers); CNAMEs to names outside the domain are completed
 * upstream (with `-no-rec`, dropped at once).
 */
export function decide(ctx: ResolveContext, policy: ForwardPolicy, query: WireQuestion): Decision {
  if (!query.plain)
    return inDomain(query.name, ctx.domain) ? NOT_PLAIN : forwardOrRefuse(policy, query.labelCount, 'recursive');
  const res = resolveQuery(ctx, query);
  const source: Source = query.type === TYPE.PTR ? 'reverse' : 'auth';
  if (res.forward) return forwardOrRefuse(policy, query.labelCount, source === 'reverse' ? 'reverse' : 'recursive');
  if (res.external.length > 0) {
    if (!policy.noRec) return { kind: 'external', resolution: res };
    return { kind: 'answer', resolution: completeExternal(ctx, res, []), source: 'recursive', cacheable: false };
  }
  return { kind: 'answer', resolution: res, source, cacheable: RCODE[res.rcode] !== RCODE.SERVFAIL };
}
