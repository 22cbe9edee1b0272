import { decodeRecord, encodeRecord, RECORD_DEFAULTS_TAIL, type SkyRecord } from '@kube-dns-legacy/skymsg';
import { SortedKeyMap, type ValueAffixes } from './sorted-keys.js';

/** A decoded record and the etcd key it was stored under. */
export interface StoredRecord {
  /** The etcd key, e.g. `/skydns/local/cluster/svc/default/kubernetes/c88f1059`. */
  readonly key: string;
  /** The decoded JSON value. */
  readonly record: SkyRecord;
}

/**
 * Most records one lookup returns: more can never fit in a 64 KiB message (4096 A records alone
 * take 64 KiB), so a lookup stops there instead of walking a huge subtree.
 */
export const LOOKUP_LIMIT = 4096;

/**
 * Most branches one wildcard lookup steps through (each a search of the tree): a wildcard whose
 * matches are sparse in a bigger tree (`web-0.*.*.svc…`) answers with what it found by then
 * instead of walking the whole tree.
 */
export const MATCH_BUDGET = 4096;

/**
 * Most keys one selection ({@link RecordSource.select}) reads while looking for the records that
 * can answer: a name whose subtree is mostly other records (SRV leaves under an A question) is
 * answered with what was found by then, capped, instead of walking the whole subtree.
 */
export const SCAN_BUDGET = 8 * LOOKUP_LIMIT;

/** Which records can answer a question (an A question takes only IPv4 addresses). */
export type Accept = (record: SkyRecord, key: string) => boolean;

/** The records a selection kept, and whether some that could answer were left out. */
export interface Selection {
  /** The records kept, at most the limit asked for. */
  readonly records: StoredRecord[];
  /**
   * True when more records could answer than were kept (or the scan budget ran out first): the
   * kept ones then start at a random one of them, so no record is always the one left out.
   */
  readonly capped: boolean;
}

/** The read interface the resolvers use: records at or below a key, with etcd v2 semantics. */
export interface RecordSource {
  /** True once the first complete load has happened (before that, answers are SERVFAIL). */
  readonly ready: boolean;
  /**
   * The records a name's key stands for: the records strictly below `key` (its subtree), the
   * first `limit` in key order; when there are none, the record stored exactly at `key`;
   * undefined when neither exists. `key` is never used as a raw prefix (`…/my` does not match `…/my1`).
   */
  lookup(key: string, limit?: number): StoredRecord[] | undefined;
  /**
   * The records a wildcard query stands for: keys whose segments match `pattern` (from the root;
   * `undefined` matches any one segment) and the keys below them, the first `limit` in key order;
   * undefined when the key before the first wildcard does not exist.
   */
  match(pattern: readonly (string | undefined)[], limit?: number): StoredRecord[] | undefined;
  /**
   * The records strictly below `key` that `accept` takes (when there are none below, the record
   * at `key` if `accept` takes it), at most `limit`; undefined when nothing is stored at or below
   * `key`. The cap counts only accepted records. When more than `limit` are accepted, or
   * {@link SCAN_BUDGET} keys were read before the subtree ended, the result is `capped` and the
   * kept records are a run starting at a random one of the accepted records (wrapping around).
   */
  select(key: string, accept: Accept, limit?: number): Selection | undefined;
  /**
   * {@link match} that says whether it stopped early (`capped`: the limit or the step budget was
   * reached), counting only the records `accept` takes (all when undefined). Kept records are the
   * first in key order.
   */
  matchSelect(pattern: readonly (string | undefined)[], accept?: Accept, limit?: number): Selection | undefined;
  /** Number of records stored strictly below `key` (counted without reading them). */
  countBelow(key: string): number;
  /** The record stored exactly at `key`, if any. */
  exact(key: string): StoredRecord | undefined;
  /** True when something is stored at or below `key`. */
  exists(key: string): boolean;
}

/** `key` with empty segments dropped and no trailing `/` (the root is ""). */
function normalKey(key: string): string {
  if (key.startsWith('/') && !key.endsWith('/') && !key.includes('//')) return key;
  const segments = key.split('/').filter((s) => s !== '');
  return segments.length === 0 ? '' : `/${segments.join('/')}`;
}

/** Random keys drawn at most to find where a capped selection starts (see RecordTree.randomAccepted). */
const START_DRAWS = 64;

/** Most decoded records kept for the next lookup (cleared when full). */
const DECODED_CACHE = 16_384;

/**
 * What nearly every value kube2sky writes begins and ends with (`{"host":"` and the fields every
 * record shares): kept as a byte each, they take ~58 bytes off each of those records (~6.6 MiB at
 * 120,000 records).
 */
const KUBE2SKY_AFFIXES: ValueAffixes = { prefix: '{"host":"', suffix: RECORD_DEFAULTS_TAIL };

/**
 * The records in memory, implementing {@link RecordSource}: one map from key to JSON value kept in
 * key order and packed off the V8 heap ({@link SortedKeyMap}), so the subtree of a key (the keys
 * starting with `key/`) is one run of keys, and a lookup costs O(log n + what it returns), never
 * O(records below the name). Values are decoded when a lookup returns them; the last few thousand
 * decoded records are kept, so a busy name is not parsed again for every question.
 */
export class RecordTree implements RecordSource {
  private readonly map = new SortedKeyMap(KUBE2SKY_AFFIXES);
  private readonly decoded = new Map<string, SkyRecord>();
  /** Set to true by the owner once the tree holds a complete snapshot. */
  ready = false;
  /** Keys looked at by lookups since the tree was made (a measure of their cost for tests and diagnostics). */
  examined = 0;

  /** Number of records stored. */
  get size(): number {
    return this.map.size;
  }

  /** Store `record` at `key` (as kube2sky's JSON), replacing any previous value there. */
  set(key: string, record: SkyRecord): void {
    this.setJson(key, encodeRecord(record));
  }

  /**
   * Store a value exactly as read from etcd, already checked with `decodeRecord` (it is decoded
   * again when a lookup returns it): records are held as their JSON text, packed.
   */
  setJson(key: string, json: string): void {
    const k = normalKey(key);
    this.decoded.delete(k);
    this.map.set(k, json);
  }

  /** {@link setJson} for many values at once, as a page of a range read brings them (in key order, packed without copying chunks over and over). */
  appendJson(keys: readonly string[], jsons: readonly string[]): void {
    this.decoded.clear();
    this.map.append(keys.map(normalKey), jsons);
  }

  /** Remove the value at `key`; true when something was removed. */
  delete(key: string): boolean {
    const k = normalKey(key);
    this.decoded.delete(k);
    return this.map.delete(k);
  }

  /** Take over the records of `other` at once (a fresh full load); `other` is left empty. */
  replaceWith(other: RecordTree): void {
    this.decoded.clear();
    other.decoded.clear();
    this.map.takeFrom(other.map);
  }

  /** Remove every record. */
  clear(): void {
    this.decoded.clear();
    this.map.clear();
  }

  /** The record at `key` from its JSON text (checked when it was stored), decoded once while it stays in the cache. */
  private stored(key: string, json: string): StoredRecord {
    let record = this.decoded.get(key);
    if (record === undefined) {
      record = decodeRecord(key, json);
      if (this.decoded.size >= DECODED_CACHE) this.decoded.clear();
      this.decoded.set(key, record);
    }
    return { key, record };
  }

  lookup(key: string, limit = LOOKUP_LIMIT): StoredRecord[] | undefined {
    const base = normalKey(key);
    const below: StoredRecord[] = [];
    this.collect(base, below, limit);
    if (below.length > 0) return below;
    const exact = this.map.get(base);
    return exact === undefined ? undefined : [this.stored(base, exact)];
  }

  /**
   * Add the records strictly below `base` (one run of keys) that `accept` takes to `out`, in key
   * order, until `out` holds `limit`; false when it stopped with accepted records left unread.
   */
  private collect(base: string, out: StoredRecord[], limit: number, accept?: Accept): boolean {
    const below = `${base}/`;
    let complete = true;
    let read = 0;
    this.map.walk(below, (k, json) => {
      if (!k.startsWith(below)) return false;
      if (accept === undefined) {
        if (out.length >= limit) {
          complete = false;
          return false;
        }
        this.examined++;
        out.push(this.stored(k, json()));
        return true;
      }
      if (read++ >= SCAN_BUDGET) {
        complete = false;
        return false;
      }
      this.examined++;
      const stored = this.stored(k, json());
      if (!accept(stored.record, k)) return true;
      if (out.length >= limit) {
        complete = false;
        return false;
      }
      out.push(stored);
      return true;
    });
    return complete;
  }

  countBelow(key: string): number {
    const below = `${normalKey(key)}/`;
    // '0' is the character after '/': every key of the subtree sorts between `below` and this.
    return this.map.rank(`${below.slice(0, -1)}0`) - this.map.rank(below);
  }

  select(key: string, accept: Accept, limit = LOOKUP_LIMIT): Selection | undefined {
    const base = normalKey(key);
    const below = `${base}/`;
    const lo = this.map.rank(below);
    const count = this.map.rank(`${base}0`) - lo;
    if (count === 0) {
      const exact = this.map.get(base);
      if (exact === undefined) return undefined;
      const stored = this.stored(base, exact);
      return { records: accept(stored.record, base) && limit > 0 ? [stored] : [], capped: false };
    }
    // One pass from a random point of the subtree to its end, then from its start: stops once one
    // record more than the limit was accepted (capped) or the budget is spent.
    const examinedBefore = this.examined;
    const start = count <= limit ? 0 : this.randomAccepted(lo, count, accept);
    const tail: StoredRecord[] = [];
    const head: StoredRecord[] = [];
    // The keys read to find the start count against the budget too.
    let read = this.examined - examinedBefore;
    let accepted = 0;
    let capped = false;
    const scan = (from: number, to: number, out: StoredRecord[]): boolean => {
      let at = from;
      let going = true;
      this.map.walkAt(lo + from, (k, json) => {
        if (at >= to) return false;
        at++;
        if (read >= SCAN_BUDGET) {
          capped = true;
          going = false;
          return false;
        }
        read++;
        this.examined++;
        const stored = this.stored(k, json());
        if (!accept(stored.record, k)) return true;
        if (accepted >= limit) {
          capped = true;
          going = false;
          return false;
        }
        accepted++;
        out.push(stored);
        return true;
      });
      return going;
    };
    if (scan(start, count, tail) && start > 0) scan(0, start, head);
    // Uncapped, the records are all there: back in key order.
    return { records: capped ? [...tail, ...head] : [...head, ...tail], capped };
  }

  /**
   * The position (in the run of `count` keys from rank `lo`) of a record `accept` takes, each such
   * record equally likely: random keys are drawn until one is taken (at most START_DRAWS). A plain
   * random key would favour the record after a run of others (a headless service's SRV leaves sort
   * between its hashed and its named endpoints, so the endpoints after them would start most runs).
   */
  private randomAccepted(lo: number, count: number, accept: Accept): number {
    let at = 0;
    for (let draw = 0; draw < START_DRAWS; draw++) {
      at = Math.floor(Math.random() * count);
      let taken = false;
      this.map.walkAt(lo + at, (k, json) => {
        this.examined++;
        taken = accept(this.stored(k, json()).record, k);
        return false;
      });
      if (taken) break;
    }
    return at;
  }

  match(pattern: readonly (string | undefined)[], limit = LOOKUP_LIMIT): StoredRecord[] | undefined {
    return this.matchSelect(pattern, undefined, limit)?.records;
  }

  matchSelect(pattern: readonly (string | undefined)[], accept?: Accept, limit = LOOKUP_LIMIT): Selection | undefined {
    const first = pattern.indexOf(undefined);
    const fixed = first < 0 ? pattern.length : first;
    const base = fixed === 0 ? '' : `/${pattern.slice(0, fixed).join('/')}`;
    if (!this.exists(base)) return undefined;
    const out: StoredRecord[] = [];
    let steps = 0;
    let capped = false;
    const full = (): boolean => out.length >= limit || steps >= MATCH_BUDGET;
    const visit = (prefix: string, level: number): void => {
      if (level === pattern.length) {
        // The pattern is used up: the record at `prefix` and everything below it.
        const exact = this.map.get(prefix);
        if (exact !== undefined) {
          const stored = this.stored(prefix, exact);
          if (accept === undefined || accept(stored.record, prefix)) {
            if (full()) capped = true;
            else out.push(stored);
          }
        }
        if (!this.collect(prefix, out, limit, accept)) capped = true;
        return;
      }
      const segment = pattern[level];
      if (segment !== undefined) {
        visit(`${prefix}/${segment}`, level + 1);
        return;
      }
      // Every child once, in the order it first appears: after a child, go on from the keys
      // right after its own (`…/c-x` sorts between `…/c` and `…/c/…`); a child met again (from
      // its subtree) is skipped past its subtree (`0` is the character after `/`).
      const below = `${prefix}/`;
      const done = new Set<string>();
      let from = below;
      for (;;) {
        // Full: capped when a branch is left unread (out of steps, there may be one).
        const stop = full();
        if (stop && steps >= MATCH_BUDGET) {
          capped = true;
          return;
        }
        const child = this.firstSegment(below, from);
        if (!stop) steps++;
        if (child === undefined) return;
        if (done.has(child)) {
          from = `${below}${child}0`;
          continue;
        }
        if (stop) {
          capped = true;
          return;
        }
        done.add(child);
        visit(`${below}${child}`, level + 1);
        from = `${below}${child}\u0000`;
      }
    };
    visit(base, fixed);
    return { records: out, capped };
  }

  /** The segment after `below` of the first key ≥ `from`, when that key starts with `below`. */
  private firstSegment(below: string, from: string): string | undefined {
    let segment: string | undefined;
    this.map.walk(from, (k) => {
      this.examined++;
      if (k.startsWith(below)) {
        const end = k.indexOf('/', below.length);
        segment = end < 0 ? k.slice(below.length) : k.slice(below.length, end);
      }
      return false;
    });
    return segment;
  }

  exact(key: string): StoredRecord | undefined {
    const k = normalKey(key);
    const json = this.map.get(k);
    return json === undefined ? undefined : this.stored(k, json);
  }

  exists(key: string): boolean {
    const base = normalKey(key);
    if (this.map.get(base) !== undefined) return true;
    const below = `${base}/`;
    let found = false;
    this.map.walk(below, (k) => {
      found = k.startsWith(below);
      return false;
    });
    return found;
  }

  /** Every stored record, in key order. */
  entries(): StoredRecord[] {
    return this.lookup('/', Infinity) ?? [];
  }
}
