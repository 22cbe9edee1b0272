import type { JsonObject } from './json.js';
import { asObject, getPath } from './json.js';
import { ApiError } from './status.js';

/** A compiled selector: true when the object matches. */
export type Matcher = (object: JsonObject) => boolean;

/** Split on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) terms.push(current.trim());
  return terms.filter((t) => t !== '');
}

function labelTerm(term: string): Matcher {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = '', op, values = ''] = set;
    const allowed = new Set(values.split(',').map((v) => v.trim()));
    return (o) => {
      const value = labels(o)[key];
      return op === 'in' ? value !== undefined && allowed.has(value) : value === undefined || !allowed.has(value);
    };
  }
  const cmp = /^([^!=<>\s]+)\s*(==|=|!=)\s*([^!=<>\s]*)$/.exec(term);
  if (cmp) {
    const [, key = '', op, value = ''] = cmp;
    return op === '!=' ? (o) => labels(o)[key] !== value : (o) => labels(o)[key] === value;
  }
  const exists = /^(!?)([^!=<>\s()]+)$/.exec(term);
  if (exists) {
    const [, not, key = ''] = exists;
    return not ? (o) => labels(o)[key] === undefined : (o) => labels(o)[key] !== undefined;
  }
  throw new ApiError(400, `unable to parse requirement: found '${term}', expected: label selector term`);
}

function labels(object: JsonObject): Record<string, string | undefined> {
  return asObject(asObject(object['metadata'])['labels']) as Record<string, string | undefined>;
}

/** Compile a `labelSelector` query value (=, ==, !=, in, notin, exists, !exists); 400 on a bad term. */
export function labelSelector(text: string | null): Matcher {
  if (!text) return () => true;
  const terms = splitTerms(text).map(labelTerm);
  return (o) => terms.every((t) => t(o));
}

/** Compile a `fieldSelector` query value over metadata.name, metadata.namespace and the `allowed` paths. */
export function fieldSelector(text: string | null, allowed: readonly string[], kind: string): Matcher {
  if (!text) return () => true;
  const terms = splitTerms(text).map((term): Matcher => {
    const match = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw new ApiError(400, `invalid selector: '${text}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = match;
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !allowed.includes(field)) {
      throw new ApiError(400, `field label not supported: ${field}`, 'BadRequest', { kind });
    }
    const read = (o: JsonObject): string => {
      const v = getPath(o, field);
      return v === undefined || v === null ? '' : String(v);
    };
    return op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value;
  });
  return (o) => terms.every((t) => t(o));
}
