import type { Json, JsonObject } from './json.js';
import { isObject } from './json.js';
import { ApiError } from './status.js';

/**
 * What a field must hold: an object, an array, an array of objects, a map of strings, a map of base64 strings
 * (Go []byte values), a string, an integer, a boolean, or a metav1.MicroTime string.
 */
type Shape = 'object' | 'array' | 'objects' | 'strings' | 'base64s' | 'string' | 'integer' | 'boolean' | 'microtime';

/** metav1.MicroTime's JSON form (Go layout 2006-01-02T15:04:05.000000Z07:00): exactly six fraction digits. */
const MICRO_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$/;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isMicroTime(text: string): boolean {
  const match = MICRO_TIME.exec(text);
  if (!match) return false;
  const [, date = '', time = ''] = match;
  const parsed = new Date(`${date}T${time}Z`);
  // Date rolls 2026-02-30 over into March; the API server refuses it.
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(`${date}T${time}`);
}

/** A valid MicroTime string as the API server stores it: in UTC, the microseconds kept. */
export function microTimeUtc(text: string): string {
  const match = MICRO_TIME.exec(text);
  if (!match || match[4] === 'Z') return text;
  const [, date = '', time = '', micros = '', zone = ''] = match;
  return `${new Date(`${date}T${time}${zone}`).toISOString().slice(0, 19)}.${micros}Z`;
}

/** The JSON shape each kind's fields must have, by dotted path ('*' steps into every array item). */
const SHAPES: Readonly<Record<string, readonly (readonly [string, Shape])[]>> = {
  '*': [
    ['metadata', 'object'],
    ['metadata.labels', 'strings'],
    ['metadata.annotations', 'strings'],
  ],
  Service: [
    ['spec', 'object'],
    ['spec.ports', 'objects'],
    ['spec.selector', 'strings'],
    ['spec.clusterIPs', 'array'],
    ['spec.ipFamilies', 'array'],
    ['status', 'object'],
  ],
  Endpoints: [
    ['subsets', 'objects'],
    ['subsets.*.addresses', 'objects'],
    ['subsets.*.notReadyAddresses', 'objects'],
    ['subsets.*.ports', 'objects'],
  ],
  EndpointSlice: [
    ['endpoints', 'objects'],
    ['endpoints.*.addresses', 'array'],
    ['endpoints.*.conditions', 'object'],
    ['ports', 'objects'],
  ],
  Pod: [
    ['spec', 'object'],
    ['spec.containers', 'objects'],
    ['status', 'object'],
  ],
  Namespace: [
    ['spec', 'object'],
    ['status', 'object'],
  ],
  ConfigMap: [
    ['data', 'strings'],
    ['binaryData', 'base64s'],
    ['immutable', 'boolean'],
  ],
  Lease: [
    ['spec', 'object'],
    ['spec.holderIdentity', 'string'],
    ['spec.leaseDurationSeconds', 'integer'],
    ['spec.leaseTransitions', 'integer'],
    ['spec.acquireTime', 'microtime'],
    ['spec.renewTime', 'microtime'],
  ],
};

function values(root: Json | undefined, parts: readonly string[], at: string): [string, Json | undefined][] {
  if (parts.length === 0) return [[at, root]];
  const [head = '', ...rest] = parts;
  if (head === '*') return Array.isArray(root) ? root.flatMap((item, i) => values(item, rest, `${at}[${i}]`)) : [];
  if (!isObject(root)) return [];
  return values(root[head], rest, at ? `${at}.${head}` : head);
}

function fits(value: Json, shape: Shape): boolean {
  switch (shape) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'objects':
      return Array.isArray(value) && value.every(isObject);
    case 'strings':
      return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
    case 'base64s':
      return isObject(value) && Object.values(value).every((v) => typeof v === 'string' && BASE64.test(v));
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;
    case 'boolean':
      return typeof value === 'boolean';
    case 'microtime':
      return typeof value === 'string' && isMicroTime(value);
  }
}

const WORDS: Readonly<Record<Shape, string>> = {
  object: 'an object',
  array: 'an array',
  objects: 'an array of objects',
  strings: 'a map of strings',
  base64s: 'a map of base64 strings',
  string: 'a string',
  integer: 'a 32-bit integer',
  boolean: 'a boolean',
  microtime: 'a time such as "2006-01-02T15:04:05.000000Z" (MicroTime: six fraction digits)',
};

/** 400, as a real server's decoder answers, when a field the server reads has the wrong JSON type (null counts as absent). */
export function checkShape(kind: string, apiVersion: string, object: JsonObject): void {
  for (const [path, shape] of [...(SHAPES['*'] ?? []), ...(SHAPES[kind] ?? [])]) {
    for (const [at, value] of values(object, path.split('.'), '')) {
      if (value === undefined || value === null || fits(value, shape)) continue;
      throw new ApiError(
        400,
        `${kind} in version "${apiVersion}" cannot be handled as a ${kind}: ${at} must be ${WORDS[shape]}, not ${JSON.stringify(value).slice(0, 80)}`,
      );
    }
  }
}
