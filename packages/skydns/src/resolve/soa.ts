import type { Rr } from '../rr.js';
import { resolveOther } from './srv.js';
import type { Lookup, Question, ResolveContext } from './context.js';

/** The synthesized SOA of the domain, with the given TTL (`ttl` in answers, `min_ttl` in negative answers). */
export function soaRecord(ctx: ResolveContext, ttl: number): Rr {
  return {
    name: ctx.domain,
    ttl,
    type: 'SOA',
    mname: `ns.dns.${ctx.domain}`,
    rname: ctx.hostmaster,
    serial: Math.floor(ctx.now() / 3_600_000) * 3600,
    refresh: 28800,
    retry: 7200,
    expire: 604800,
    minimum: ctx.minTtl,
  };
}

/** SOA: the synthesized SOA at the apex (owner as the client spelled it); below it, no data. */
export function resolveSoa(ctx: ResolveContext, q: Question): Lookup {
  if (q.name !== ctx.domain) return resolveOther(ctx, q);
  return { exists: true, answer: [{ ...soaRecord(ctx, ctx.ttl), name: q.owner }], additional: [], external: [] };
}
