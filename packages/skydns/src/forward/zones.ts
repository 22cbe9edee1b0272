import { isIP } from 'node:net';
import { nameToKey, keyToName } from '@kube-dns-legacy/skymsg';
import { HEADER_SIZE, TYPE } from '../dns-codes.js';
import type { RecordSource } from '../tree.js';
import { questionEndOf, recordRanges, skipName } from '../wire.js';
import { parseUpstream, type Upstream } from './upstream.js';

/** SkyDNS's private EDNS0 option on questions sent to a stub zone (EDNS0LOCALSTART + 10): the loop guard. */
export const STUB_LOOP_OPTION = 65011;

/** A zone whose questions go to its own servers (`-stubzones`). */
export interface StubZone {
  /** The zone, lower-case, fully qualified. */
  readonly zone: string;
  /** Its servers, in key order. */
  readonly servers: readonly Upstream[];
}

/** Where the forwarding records of a domain live. */
export interface ZoneSource {
  /** The records. */
  readonly store: RecordSource;
  /** Served domain, fully qualified. */
  readonly domain: string;
  /** etcd prefix. */
  readonly prefix: string;
}

/** The etcd key of `stub.dns.<domain>` (stub zones) or `upstream.dns.<domain>` (upstream override). */
export function forwardingKey(src: ZoneSource, what: 'stub' | 'upstream'): string {
  return nameToKey(`${what}.dns.${src.domain}`, src.prefix);
}

/** True when a change at `key` can touch the subtree at `base` (the key is in it or above it). */
export function touches(key: string, base: string): boolean {
  return key === base || key.startsWith(`${base}/`) || base.startsWith(`${key}/`);
}

function upstreamOf(json: { host?: string; port?: number }): Upstream {
  const host = json.host ?? '';
  if (isIP(host) === 0) throw new Error(`host ${JSON.stringify(host)} is not an IP address`);
  const port = json.port !== undefined && json.port > 0 ? json.port : 53;
  return parseUpstream(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
}

/** What reading the forwarding records found, and the records skipped (key and reason). */
export interface Read<T> {
  /** The result. */
  readonly value: T;
  /** Records that were not usable. */
  readonly skipped: Array<{ key: string; reason: string }>;
}

/**
 * The stub zones under `stub.dns.<domain>`: each record `…/dns/stub/<zone reversed>/<leaf>` =
 * `{"host":"<ip>","port":<port>}` adds a server (port 53 unless given) to the zone named by its
 * key minus the leaf. Zones at or below the served domain are skipped (its questions never leave
 * the server), as are hosts that are not IP addresses. Longest zone first.
 */
export function readStubZones(src: ZoneSource): Read<StubZone[]> {
  const base = forwardingKey(src, 'stub');
  const suffix = `stub.dns.${src.domain}`;
  const zones = new Map<string, Upstream[]>();
  const skipped: Array<{ key: string; reason: string }> = [];
  for (const { key, record } of src.store.lookup(base) ?? []) {
    const full = keyToName(key.slice(0, key.lastIndexOf('/')), src.prefix);
    const zone = full === suffix ? '' : full.slice(0, full.length - suffix.length);
    if (zone === '' || !full.endsWith(`.${suffix}`)) {
      skipped.push({ key, reason: 'no zone in the key' });
      continue;
    }
    if (zone === src.domain || zone.endsWith(`.${src.domain}`)) {
      skipped.push({ key, reason: `${zone} is inside the served domain` });
      continue;
    }
    try {
      const server = upstreamOf(record);
      const list = zones.get(zone) ?? [];
      list.push(server);
      zones.set(zone, list);
    } catch (err) {
      skipped.push({ key, reason: (err as Error).message });
    }
  }
  const value = [...zones].map(([zone, servers]) => ({ zone, servers }));
  value.sort((a, b) => b.zone.length - a.zone.length);
  return { value, skipped };
}

/** The upstream override: the records `upstream.dns.<domain>/<n>` in the order of n; empty when there are none. */
export function readUpstreams(src: ZoneSource): Read<Upstream[]> {
  const base = forwardingKey(src, 'upstream');
  const found: Array<{ n: number; key: string; server: Upstream }> = [];
  const skipped: Array<{ key: string; reason: string }> = [];
  for (const { key, record } of src.store.lookup(base) ?? []) {
    const leaf = key.slice(base.length + 1);
    try {
      found.push({ n: /^\d+$/.test(leaf) ? Number(leaf) : Number.MAX_SAFE_INTEGER, key, server: upstreamOf(record) });
    } catch (err) {
      skipped.push({ key, reason: (err as Error).message });
    }
  }
  found.sort((a, b) => a.n - b.n || (a.key < b.key ? -1 : 1));
  return { value: found.map((f) => f.server), skipped };
}

/** The stub zone `name` falls in (on label boundaries), if any. */
export function stubFor(zones: readonly StubZone[], name: string): StubZone | undefined {
  const lower = name.toLowerCase();
  return zones.find((z) => lower === z.zone || lower.endsWith(`.${z.zone}`));
}

/** The offsets of a message's OPT record, or undefined when it has none (or cannot be read). */
function optRange(msg: Buffer): { start: number; rdata: number; end: number } | undefined {
  const questionEnd = questionEndOf(msg);
  if (questionEnd < 0) return undefined;
  const count = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  for (const r of recordRanges(msg, questionEnd, count) ?? []) {
    if (r.type === TYPE.OPT) return { start: r.start, rdata: skipName(msg, r.start) + 10, end: r.end };
  }
  return undefined;
}

/** True when the message carries the stub loop-guard option. */
export function hasLoopGuard(msg: Buffer): boolean {
  const opt = optRange(msg);
  if (opt === undefined) return false;
  for (let at = opt.rdata; at + 4 <= opt.end; at += 4 + msg.readUInt16BE(at + 2)) {
    if (msg.readUInt16BE(at) === STUB_LOOP_OPTION) return true;
  }
  return false;
}

/** A copy of the message with the loop-guard option added (to its OPT record, or in a new OPT of 512 bytes). */
export function withLoopGuard(msg: Buffer): Buffer {
  const option = Buffer.from([STUB_LOOP_OPTION >> 8, STUB_LOOP_OPTION & 0xff, 0, 1, 1]);
  const opt = optRange(msg);
  if (opt !== undefined) {
    const out = Buffer.concat([msg.subarray(0, opt.end), option, msg.subarray(opt.end)]);
    out.writeUInt16BE(opt.end - opt.rdata + option.length, opt.rdata - 2);
    return out;
  }
  const record = Buffer.alloc(11);
  record.writeUInt16BE(TYPE.OPT, 1);
  record.writeUInt16BE(512, 3);
  record.writeUInt16BE(option.length, 9);
  const out = Buffer.concat([msg.length >= HEADER_SIZE ? msg : Buffer.alloc(HEADER_SIZE), record, option]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}
