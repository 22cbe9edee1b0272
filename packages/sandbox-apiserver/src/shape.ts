import type { Json, JsonObject } from './json.js';
import { isObject } from './json.js';
import { ApiError } from './status.js';

/** What a field must hold: an object, an array, an array of objects, or a map of strings. */
type Shape = 'object' | 'array' | 'objects' | 'strings';

/** The JSON shape each kind's fields must have, by dotted path ('*' steps into every array item). */
const SHAPES: Readonly<Record<string, readonly (readonly [string, Shape])[]>> = {
  '*': [['metadata', 'object'], ['metadata.labels', 'strings'], ['metadata.annotations', 'strings']],
  Service: [['spec', 'object'], ['spec.ports', 'objects'], ['spec.selector', 'strings'], ['spec.clusterIPs', 'array'], ['status', 'object']],
  Endpoints: [['subsets', 'objects'], ['subsets.*.addresses', 'objects'], ['subsets.*.notReadyAddresses', 'objects'], ['subsets.*.ports', 'objects']],
  EndpointSlice: [['endpoints', 'objects'], ['endpoints.*.addresses', 'array'], ['endpoints.*.conditions', 'object'], ['ports', 'objects']],
  Pod: [['spec', 'object'], ['spec.containers', 'objects'], ['status', 'object']],
  Namespace: [['spec', 'object'], ['status', 'object']],
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
  }
}

const WORDS: Readonly<Record<Shape, string>> = { object: 'an object', array: 'an array', objects: 'an array of objects', strings: 'a map of strings' };

/** 400, as a real server's decoder answers, when a field the server reads has the wrong JSON type (null counts as absent). */
export function checkShape(kind: string, apiVersion: string, object: JsonObject): void {
  for (const [path, shape] of [...(SHAPES['*'] ?? []), ...(SHAPES[kind] ?? [])]) {
    for (const [at, value] of values(object, path.split('.'), '')) {
      if (value === undefined || value === null || fits(value, shape)) continue;
      throw new ApiError(400, `${kind} in version "${apiVersion}" cannot be handled as a ${kind}: ${at} must be ${WORDS[shape]}, not ${JSON.stringify(value).slice(0, 80)}`);
    }
  }
}
