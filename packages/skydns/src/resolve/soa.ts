import { soaRecord } from './answer.js';
import { resolveOther } from './srv.js';
import type { Lookup, Question, ResolveContext } from './context.js';

/** SOA: the synthesized SOA at the apex (owner as the client spelled it); below it, no data. */
export function resolveSoa(ctx: ResolveContext, q: Question): Lookup {
  if (q.name !== ctx.domain) return resolveOther(ctx, q);
  return { exists: true, answer: [{ ...soaRecord(ctx, ctx.ttl), name: q.owner }], additional: [], external: [] };
}
