import type { RcodeName } from '../dns-codes.js';
import { rrIdentity, type Rr } from '../rr.js';
import type { ExternalTarget, Lookup, ResolveContext } from './context.js';

/** A complete authoritative decision for one question, before it is put on the wire. */
export interface Resolution {
  /** Response code. */
  readonly rcode: RcodeName;
  /** Authoritative answer flag. */
  readonly aa: boolean;
  /** Recursion available flag. */
  readonly ra: boolean;
  /** Answer section. */
  readonly answer: Rr[];
  /** Authority section (the SOA of negative answers). */
  readonly authority: Rr[];
  /** Additional section (glue). */
  readonly additional: Rr[];
  /** True when the question must be forwarded upstream instead. */
  readonly forward: boolean;
  /** CNAME targets outside the domain still to resolve upstream. */
  readonly external: ExternalTarget[];
  /**
   * True when more records could answer than one answer holds (see {@link Lookup.capped}): the
   * reply says so with TC=1 and is not kept in the answer cache, so the next ask gets another run.
   */
  readonly capped?: boolean;
}

/**
 * The synthesized SOA of the domain, with the given TTL (`ttl` in answers, `min_ttl` in negative
 * answers). The serial changes only when the records do (see {@link ResolveContext.serial}).
 */
export function soaRecord(ctx: ResolveContext, ttl: number): Rr {
  return {
    name: ctx.domain,
    ttl,
    type: 'SOA',
    mname: `ns.dns.${ctx.domain}`,
    rname: ctx.hostmaster,
    serial: ctx.serial(),
    refresh: 28800,
    retry: 7200,
    expire: 604800,
    minimum: ctx.minTtl,
  };
}

/** A reply with just a code (REFUSED, SERVFAIL, …) and the given flags. */
export function bare(rcode: RcodeName, aa = false, ra = false): Resolution {
  return { rcode, aa, ra, answer: [], authority: [], additional: [], forward: false, external: [] };
}

/** The decision to forward the question upstream. */
export const FORWARD: Resolution = Object.freeze({ ...bare('NOERROR'), forward: true });

/**
 * Remove identical RRs (owner case-insensitive, type, data; first wins) and keep only the first
 * CNAME of each owner.
 */
function dedup(rrs: readonly Rr[]): Rr[] {
  const seen = new Set<string>();
  const cnameOwners = new Set<string>();
  const out: Rr[] = [];
  for (const rr of rrs) {
    const id = rrIdentity(rr);
    if (seen.has(id)) continue;
    if (rr.type === 'CNAME') {
      const owner = rr.name.toLowerCase();
      if (cnameOwners.has(owner)) continue;
      cnameOwners.add(owner);
    }
    seen.add(id);
    out.push(rr);
  }
  return out;
}

/** CNAMEs first (in chain order), then everything else in its order. */
function cnamesFirst(rrs: readonly Rr[]): Rr[] {
  return [...rrs.filter((r) => r.type === 'CNAME'), ...rrs.filter((r) => r.type !== 'CNAME')];
}

/** SkyDNS TTL rule: with more than one answer RR, all get the smallest TTL of the set, capped at `ttl`. */
function normaliseTtls(rrs: readonly Rr[], cap: number): Rr[] {
  if (rrs.length < 2) return [...rrs];
  let ttl = cap;
  for (const r of rrs) if (r.ttl < ttl) ttl = r.ttl;
  return rrs.map((r) => (r.ttl === ttl ? r : { ...r, ttl }));
}

/**
 * Turn one resolver's lookup into the reply: NXDOMAIN with the SOA (TTL `min_ttl`) when the name
 * is absent, NODATA with the SOA when nothing matched, else the de-duplicated answer with CNAMEs
 * first and normalised TTLs, and de-duplicated glue. AA=1, RA=1.
 */
export function authoritative(ctx: ResolveContext, lookup: Lookup): Resolution {
  if (!lookup.exists) {
    return { ...bare('NXDOMAIN', true, true), authority: [soaRecord(ctx, ctx.minTtl)] };
  }
  const answer = normaliseTtls(cnamesFirst(dedup(lookup.answer)), ctx.ttl);
  if (answer.length === 0) {
    return { ...bare('NOERROR', true, true), authority: [soaRecord(ctx, ctx.minTtl)] };
  }
  const inAnswer = new Set(answer.map(rrIdentity));
  const additional = dedup(lookup.additional).filter((r) => !inAnswer.has(rrIdentity(r)));
  const res: Resolution = { ...bare('NOERROR', true, true), answer, additional, external: lookup.external };
  return lookup.capped === true ? { ...res, capped: true } : res;
}

/**
 * The answer once the addresses of CNAME targets outside the domain came back from upstream
 * (`found[i]` for `res.external[i]`): each target's records are appended; a target whose lookup
 * failed or that does not exist (undefined) empties the answer so far (SkyDNS drops such a CNAME),
 * while one without records of the type keeps its CNAME, as SkyDNS does.
 */
export function completeExternal(
  ctx: ResolveContext,
  res: Resolution,
  found: readonly (readonly Rr[] | undefined)[],
): Resolution {
  let answer: Rr[] = [...res.answer];
  res.external.forEach((_, i) => {
    const records = found[i];
    if (records === undefined) answer = [];
    else answer.push(...records);
  });
  return authoritative(ctx, {
    exists: true,
    answer,
    additional: res.additional,
    external: [],
    capped: res.capped === true,
  });
}
