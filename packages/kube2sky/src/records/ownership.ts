import { decodeRecord, nameToKey } from '@kube-dns-legacy/skymsg';
import type { RecordContext } from './types.js';

/** Prefixes by prefix and domain: isOwnedKey runs once per key of a resync (120,000 keys in a big cluster). */
const prefixCache = new Map<string, readonly string[]>();

/** The etcd key ranges kube2sky reads at start-up and on resync: its own subtrees and the reverse zones. */
export function scannedPrefixes(ctx: RecordContext): string[] {
  const id = `${ctx.prefix}\n${ctx.domain}`;
  let prefixes = prefixCache.get(id);
  if (prefixes === undefined) {
    const own = ['svc', 'pod', 'dns-version'].map((label) => `${nameToKey(`${label}.${ctx.domain}`, ctx.prefix)}/`);
    const reverse = ['in-addr.arpa.', 'ip6.arpa.'].map((zone) => `${nameToKey(zone, ctx.prefix)}/`);
    prefixes = [...own, ...reverse];
    prefixCache.set(id, prefixes);
  }
  return [...prefixes];
}

/**
 * True when kube2sky owns `key` and may delete it when no object wants it: everything under
 * `svc.<domain>`, `pod.<domain>` and `dns-version.<domain>`, and reverse (arpa) keys whose record
 * points into `svc.<domain>` (PTR records of other domains or written by hand are left alone).
 */
export function isOwnedKey(ctx: RecordContext, key: string, value: string): boolean {
  const [svc, pod, version, inAddr, ip6] = scannedPrefixes(ctx) as [string, string, string, string, string];
  if (key.startsWith(svc) || key.startsWith(pod) || key.startsWith(version)) return true;
  if (!key.startsWith(inAddr) && !key.startsWith(ip6)) return false;
  try {
    const host = decodeRecord(key, value).host ?? '';
    return host.toLowerCase().endsWith(`.svc.${ctx.domain}`);
  } catch {
    return false;
  }
}
