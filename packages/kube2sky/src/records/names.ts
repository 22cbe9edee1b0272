import { encodeRecord, leafLabel, nameToKey, RECORD_DEFAULTS, type SkyRecord } from '@kube-dns-legacy/skymsg';
import type { RecordContext } from './types.js';

/** The encoded value of an address (or CNAME target) record, as kube2sky writes it. */
export function hostValue(host: string): string {
  return encodeRecord({ host, ...RECORD_DEFAULTS });
}

/** The encoded value of a record with a host and a port (SRV). */
export function srvValue(host: string, port: number): string {
  return encodeRecord({ host, port, ...RECORD_DEFAULTS });
}

/**
 * The value of a stub-zone or upstream nameserver record: exactly `{"host":"<ip>","port":<port>}`, as
 * SkyDNS's documentation writes stub records (skydns reads the other fields as their defaults).
 */
export function stubValue(host: string, port: number): string {
  return JSON.stringify({ host, port });
}

/** The encoded value of any record. */
export function value(record: SkyRecord): string {
  return encodeRecord(record);
}

/** The FNV leaf label of an address record for `ip` (`10.0.0.1` → `c88f1059`). */
export function hashLabel(ip: string): string {
  return leafLabel(hostValue(ip));
}

/** The fully qualified name of `leftLabels` under the cluster domain (`['a','svc']` → `a.svc.cluster.local.`). */
export function nameIn(ctx: RecordContext, ...leftLabels: string[]): string {
  return [...leftLabels, ctx.domain].join('.');
}

/** The etcd key of `leftLabels` under the cluster domain. */
export function keyIn(ctx: RecordContext, ...leftLabels: string[]): string {
  return nameToKey(nameIn(ctx, ...leftLabels), ctx.prefix);
}
