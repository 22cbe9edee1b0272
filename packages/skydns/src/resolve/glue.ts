import type { Rr } from '../rr.js';
import { resolveAddress } from './address.js';
import { hostFamily, inDomain, ipv4Of, type ResolveContext } from './context.js';

/** Glue for an IP host owned by `target`: one A or AAAA record. */
export function ipGlue(target: string, host: string, ttl: number): Rr {
  return hostFamily(host) === 4
    ? { name: target, ttl, type: 'A', address: ipv4Of(host) }
    : { name: target, ttl, type: 'AAAA', address: host };
}

/** Glue for a name target inside the domain: its A and AAAA answers (CNAMEs included); nothing outside. */
export function nameGlue(ctx: ResolveContext, target: string): Rr[] {
  const lower = target.toLowerCase();
  if (!inDomain(lower, ctx.domain)) return [];
  const q = { owner: target, name: lower };
  const out: Rr[] = [];
  for (const type of ['A', 'AAAA'] as const) {
    const found = resolveAddress(ctx, q, type);
    if (found.external.length === 0) out.push(...found.answer);
  }
  return out;
}
