import { leafLabel } from '@kube-dns-legacy/skymsg';
import { keyIn, value } from './names.js';
import type { RecordContext, RecordSet } from './types.js';

/** The Kubernetes DNS specification schema version these records follow. */
export const SCHEMA_VERSION = '1.1.0';

/** The `dns-version.<domain>` TXT record (TTL 28800, as the specification's example and CoreDNS). */
export function versionRecords(ctx: RecordContext): RecordSet {
  const encoded = value({ text: SCHEMA_VERSION, ttl: 28800 });
  return { records: new Map([[keyIn(ctx, leafLabel(encoded), 'dns-version'), encoded]]), warnings: [] };
}
