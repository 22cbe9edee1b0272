import { decodeRecord, nameToKey } from '@kube-dns-legacy/skymsg';
import type { RecordContext } from './types.js';

/** Prefixes by prefix, domain and ConfigMap mirroring: isOwnedKey runs once per key of a resync (120,000 keys in a big cluster). */
const prefixCache = new Map<string, readonly string[]>();

/**
 * The etcd key ranges kube2sky reads at start-up and on resync: its own subtrees, the reverse zones,
 * and (mirroring the kube-dns ConfigMap) `dns/stub/` and `dns/upstream/` under the domain.
 */
export function scannedPrefixes(ctx: RecordContext): string[] {
  const id = `${ctx.prefix}\n${ctx.domain}\n${ctx.dnsConfig === true}`;
  let prefixes = prefixCache.get(id);
  if (prefixes === undefined) {
    const own = ['svc', 'pod', 'dns-version'].map((label) => `${nameToKey(`${label}.${ctx.domain}`, ctx.prefix)}/`);
    const reverse = ['in-addr.arpa.', 'ip6.arpa.'].map((zone) => `${nameToKey(zone, ctx.prefix)}/`);
    const dnsConfig =
      ctx.dnsConfig === true
        ? ['stub', 'upstream'].map((label) => `${nameToKey(`${label}.dns.${ctx.domain}`, ctx.prefix)}/`)
        : [];
    prefixes = [...own, ...reverse, ...dnsConfig];
    prefixCache.set(id, prefixes);
  }
  return [...prefixes];
}

/**
 * True when kube2sky owns `key` and may delete it when no object wants it: everything under
 * `svc.<domain>`, `pod.<domain>` and `dns-version.<domain>`, reverse (arpa) keys whose record
 * points into `svc.<domain>` (PTR records of other domains or written by hand are left alone), and,
 * mirroring the kube-dns ConfigMap, everything under `upstream.dns.<domain>` and the stub leaves under
 * `stub.dns.<domain>` named by a number (`…/dns/stub/local/acme/0`; stub records written by hand
 * with other leaf names, `ns1`, are left alone).
 */
export function isOwnedKey(ctx: RecordContext, key: string, value: string): boolean {
  const [svc, pod, version, inAddr, ip6, stub, upstream] = scannedPrefixes(ctx) as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  if (key.startsWith(svc) || key.startsWith(pod) || key.startsWith(version)) return true;
  if (upstream !== undefined && key.startsWith(upstream)) return true;
  if (stub !== undefined && key.startsWith(stub)) return /\/[0-9]+$/.test(key);
  if (!key.startsWith(inAddr) && !key.startsWith(ip6)) return false;
  try {
    const host = decodeRecord(key, value).host ?? '';
    return host.toLowerCase().endsWith(`.svc.${ctx.domain}`);
  } catch {
    return false;
  }
}
