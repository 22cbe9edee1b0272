import { isIP } from 'node:net';
import { keyToName, nameToKey, wildcardPath, type SkyRecord } from '@kube-dns-legacy/skymsg';
import { LOOKUP_LIMIT, type Accept, type RecordSource, type StoredRecord } from '../tree.js';
import type { Rr } from '../rr.js';

/** Everything a resolver reads: the records and the server settings that shape answers. */
export interface ResolveContext {
  /** The records (the etcd-fed tree, or an in-memory tree in tests). */
  readonly store: RecordSource;
  /** The served domain, lower-case and fully qualified (`cluster.local.`). */
  readonly domain: string;
  /** The etcd path prefix (`skydns`). */
  readonly prefix: string;
  /** Default record TTL and answer TTL cap (`ttl`, 3600). */
  readonly ttl: number;
  /** SOA MINIMUM and TTL of the SOA in negative answers (`min_ttl`, 60). */
  readonly minTtl: number;
  /** Default SRV/MX priority (`priority`, 10). */
  readonly priority: number;
  /** SOA RNAME, fully qualified (`hostmaster.cluster.local.`). */
  readonly hostmaster: string;
  /** The `-local` name (fully qualified) that `local.dns.<domain>` stands for, or "". */
  readonly local: string;
  /** The version string for CHAOS `version.bind`. */
  readonly version: string;
  /**
   * The SOA serial: a number that changes only when the records do (skydns: the Unix hour of the
   * last change of the records served), so cached answers stay right until then.
   */
  serial(): number;
}

/** A question as the resolvers see it: the owner to answer under and the name to look up. */
export interface Question {
  /** The owner name of answers, as the client spelled it (fully qualified). */
  readonly owner: string;
  /** The name to look up (lower-cased, fully qualified); differs from owner for `local.dns`. */
  readonly name: string;
}

/** What one type's resolver found for a name. */
export interface Lookup {
  /** False when the name's key (or a wildcard's base) does not exist: NXDOMAIN. */
  readonly exists: boolean;
  /** Answer section records. */
  readonly answer: Rr[];
  /** Additional section records (glue). */
  readonly additional: Rr[];
  /** CNAMEs to targets outside the domain whose addresses must come from upstream. */
  readonly external: ExternalTarget[];
  /** True when more records could answer than one answer holds: some were left out (TC=1, not cached). */
  readonly capped?: boolean;
}

/** A CNAME whose target lies outside the domain; the server resolves the target upstream or drops the CNAME. */
export interface ExternalTarget {
  /** The CNAME record, already in the answer. */
  readonly cname: Rr & { type: 'CNAME' };
  /** The address type to ask upstream for. */
  readonly type: 'A' | 'AAAA';
}

/**
 * Most records one answer collects: more can never fit in a 64 KiB message (4096 A records alone
 * take 64 KiB), and collecting them would only stall the server on a huge subtree.
 */
export const MAX_ANSWER_RECORDS = LOOKUP_LIMIT;

/** A lookup that found nothing because the name does not exist. */
export const NO_NAME: Lookup = Object.freeze({ exists: false, answer: [], additional: [], external: [] });

/** True when `name` (fully qualified) is the domain or below it, on label boundaries. */
export function inDomain(name: string, domain: string): boolean {
  const lower = name.toLowerCase();
  return domain === '.' || lower === domain || lower.endsWith(`.${domain}`);
}

/** The TTL a record is served with: its own, else the server default. */
export function recordTtl(ctx: ResolveContext, record: SkyRecord): number {
  return record.ttl !== undefined && record.ttl > 0 ? record.ttl : ctx.ttl;
}

/** The SRV/MX priority of a record: its own, else the server default (an explicit 0 counts as unset). */
export function recordPriority(ctx: ResolveContext, record: SkyRecord): number {
  return record.priority !== undefined && record.priority > 0 ? record.priority : ctx.priority;
}

/** 4 or 6 for an IP literal host (IPv4-mapped IPv6 counts as 4), 0 for a name or nothing. */
export function hostFamily(host: string | undefined): 0 | 4 | 6 {
  if (host === undefined || host === '') return 0;
  const family = isIP(host);
  if (family === 6 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(host)) return 4;
  return family === 4 ? 4 : family === 6 ? 6 : 0;
}

/** The address in the form an A record needs (IPv4-mapped IPv6 becomes dotted quad). */
export function ipv4Of(host: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped?.[1] ?? host;
}

/**
 * The records a name stands for: its subtree (v2 semantics), or the wildcard matches; the first
 * {@link MAX_ANSWER_RECORDS} in key order; undefined when absent.
 */
export function recordsFor(ctx: ResolveContext, name: string): StoredRecord[] | undefined {
  const wildcard = wildcardPath(name, ctx.prefix);
  if (wildcard === undefined) return ctx.store.lookup(nameToKey(name, ctx.prefix), MAX_ANSWER_RECORDS);
  return ctx.store.match(wildcard.pattern, MAX_ANSWER_RECORDS);
}

/** The records one answer is built from, and whether records that could answer were left out. */
export interface AnswerRecords {
  /** The records, as {@link recordsFor} returns them (all kinds) unless `filtered`. */
  readonly records: StoredRecord[];
  /** True when only records that `accept` takes are there (the name's subtree is larger than one answer). */
  readonly filtered: boolean;
  /** True when records that could answer were left out. */
  readonly capped: boolean;
}

/**
 * The records to answer a question about `name` from, where `accept` says which records can
 * answer it (an A question: IPv4 addresses). A subtree of at most {@link MAX_ANSWER_RECORDS}
 * records is returned whole, exactly as {@link recordsFor} does. A larger one is read for the
 * records `accept` takes, so the cap counts only those; when more of them exist than the cap, the
 * answer is `capped` and the ones kept start at a random point (no record is always the one left
 * out). Undefined when the name is absent.
 */
export function answerRecords(ctx: ResolveContext, name: string, accept: Accept): AnswerRecords | undefined {
  const wildcard = wildcardPath(name, ctx.prefix);
  if (wildcard !== undefined) {
    const all = ctx.store.matchSelect(wildcard.pattern, undefined, MAX_ANSWER_RECORDS);
    if (all === undefined) return undefined;
    if (!all.capped) return { records: all.records, filtered: false, capped: false };
    // Every record read can answer: reading again for those alone would find the same ones.
    if (all.records.every((r) => accept(r.record, r.key)))
      return { records: all.records, filtered: true, capped: true };
    const taken = ctx.store.matchSelect(wildcard.pattern, accept, MAX_ANSWER_RECORDS);
    return taken === undefined ? undefined : { records: taken.records, filtered: true, capped: taken.capped };
  }
  const key = nameToKey(name, ctx.prefix);
  if (ctx.store.countBelow(key) <= MAX_ANSWER_RECORDS) {
    const records = ctx.store.lookup(key, MAX_ANSWER_RECORDS);
    return records === undefined ? undefined : { records, filtered: false, capped: false };
  }
  const taken = ctx.store.select(key, accept, MAX_ANSWER_RECORDS);
  return taken === undefined ? undefined : { records: taken.records, filtered: true, capped: taken.capped };
}

/** The name a record's key stands for (`…/web/c89ee3` → `c89ee3.web.…`), minus `strip` leftmost labels. */
export function keyName(ctx: ResolveContext, key: string, strip = 0): string {
  return stripLabels(keyToName(key, ctx.prefix), strip);
}

/** `name` without its `count` leftmost labels; unchanged when that would consume the whole name. */
export function stripLabels(name: string, count: number): string {
  if (count <= 0) return name;
  const parts = name.split('.').filter((p) => p !== '');
  if (count >= parts.length) return name;
  return `${parts.slice(count).join('.')}.`;
}

/** A host name made fully qualified, keeping its case. */
export function hostName(host: string): string {
  return host.endsWith('.') ? host : `${host}.`;
}
