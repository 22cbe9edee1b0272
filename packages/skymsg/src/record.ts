/** A SkyDNS record as stored (JSON) at an etcd key; every field is optional. */
export interface SkyRecord {
  /** An IPv4/IPv6 literal (A/AAAA) or a domain name (CNAME, SRV/MX target). */
  host?: string;
  /** SRV port; 0 or absent means none. */
  port?: number;
  /** SRV priority and MX preference; 0 or absent means the server default (10). */
  priority?: number;
  /** Relative SRV weight; 0 counts as 100 in the weight arithmetic. */
  weight?: number;
  /** TXT payload. */
  text?: string;
  /** Also usable as an MX record. */
  mail?: boolean;
  /** Record TTL in seconds; 0 or absent means the server default. */
  ttl?: number;
  /** Labels stripped from the left of a synthesized SRV/MX target. */
  targetstrip?: number;
  /** Restricts which records of a subtree are answered together. */
  group?: string;
}

type FieldKind = 'string' | 'int' | 'uint32' | 'bool';

/** Field names in SkyDNS's encoding order, with their JSON types. */
const FIELDS: ReadonlyArray<readonly [keyof SkyRecord, FieldKind]> = [
  ['host', 'string'],
  ['port', 'int'],
  ['priority', 'int'],
  ['weight', 'int'],
  ['text', 'string'],
  ['mail', 'bool'],
  ['ttl', 'uint32'],
  ['targetstrip', 'int'],
  ['group', 'string'],
];

/** Go's encoding/json escapes these characters that JSON.stringify leaves alone. */
const GO_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function goString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/**
 * Encode a record byte-for-byte as kube2sky's vendored SkyDNS message did: fields in the order
 * host, port, priority, weight, text, mail, ttl, targetstrip, group; empty values omitted except
 * `targetstrip`, which that build always wrote (its JSON tag was malformed, so omitempty never applied).
 */
export function encodeRecord(record: SkyRecord): string {
  const parts: string[] = [];
  for (const [field, kind] of FIELDS) {
    const value = record[field];
    if (field === 'targetstrip') {
      parts.push(`"targetstrip":${Number(value ?? 0)}`);
      continue;
    }
    if (value === undefined || value === '' || value === 0 || value === false) continue;
    parts.push(`"${field}":${kind === 'string' ? goString(String(value)) : String(value)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Priority, weight and TTL of every record kube2sky writes. */
export const RECORD_DEFAULTS = { priority: 10, weight: 10, ttl: 30 } as const;

/**
 * How nearly every value kube2sky writes ends, after its host (and port): the encoding of
 * {@link RECORD_DEFAULTS}, `,"priority":10,"weight":10,"ttl":30,"targetstrip":0}`. Who keeps many such
 * values (kube2sky's desired state, skydns's tree) stores it once.
 */
export const RECORD_DEFAULTS_TAIL = `,${encodeRecord(RECORD_DEFAULTS).slice(1)}`;

/** A stored value that cannot be used as a record; names the etcd key and, when known, the field. */
export class RecordError extends Error {
  constructor(
    readonly key: string,
    readonly field: string | undefined,
    detail: string,
  ) {
    super(field === undefined ? `${key}: ${detail}` : `${key}: field "${field}": ${detail}`);
    this.name = 'RecordError';
  }
}

const FIELD_BY_LOWER = new Map(FIELDS.map(([name, kind]) => [name.toLowerCase(), [name, kind] as const]));

function checkField(key: string, field: string, kind: FieldKind, value: unknown): string | number | boolean {
  switch (kind) {
    case 'string':
      if (typeof value === 'string') return value;
      throw new RecordError(key, field, `expected a string, got ${describe(value)}`);
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw new RecordError(key, field, `expected a boolean, got ${describe(value)}`);
    case 'int':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw new RecordError(key, field, `expected an integer, got ${describe(value)}`);
    case 'uint32':
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return value;
      throw new RecordError(key, field, `expected an integer from 0 to 4294967295, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * Decode and validate a stored value as SkyDNS's Go decoder would: field names match
 * case-insensitively (the last duplicate wins), unknown fields and nulls are ignored, and a wrong
 * type is a {@link RecordError} naming the key and the field.
 */
export function decodeRecord(key: string, value: string | Uint8Array): SkyRecord {
  const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RecordError(key, undefined, `not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RecordError(key, undefined, `expected a JSON object, got ${describe(parsed)}`);
  }
  const record: Record<string, string | number | boolean> = {};
  for (const [name, raw] of Object.entries(parsed)) {
    const known = FIELD_BY_LOWER.get(name.toLowerCase());
    if (known === undefined || raw === null) continue;
    const [field, kind] = known;
    record[field] = checkField(key, name, kind, raw);
  }
  return record as SkyRecord;
}
