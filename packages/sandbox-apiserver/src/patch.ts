import type { Json, JsonObject } from './json.js';
import { clone, deepEqual, isObject } from './json.js';
import { ApiError } from './status.js';

/** RFC 7386 JSON merge patch: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiError(422, `invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(root: Json, parts: string[], path: string): { parent: Json; last: string } {
  let node: Json | undefined = root;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (node === undefined)
      throw new ApiError(
        422,
        `the server rejected our request due to an error in our request: doc is missing path: "${path}"`,
      );
  }
  return { parent: node as Json, last: parts[parts.length - 1] ?? '' };
}

function read(root: Json, path: string): Json {
  let node: Json | undefined = root;
  for (const part of pointer(path)) {
    node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (node === undefined)
      throw new ApiError(
        422,
        `the server rejected our request due to an error in our request: doc is missing path: "${path}"`,
      );
  }
  return node;
}

function remove(root: Json, path: string): Json {
  const parts = pointer(path);
  const { parent, last } = parentOf(root, parts, path);
  const removed = read(root, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return removed;
}

function add(root: Json, path: string, value: Json, replace: boolean): Json {
  const parts = pointer(path);
  if (parts.length === 0) return clone(value);
  if (replace) read(root, path);
  const { parent, last } = parentOf(root, parts, path);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length)
      throw new ApiError(422, `invalid array index in "${path}"`);
    if (replace) parent[index] = clone(value);
    else parent.splice(index, 0, clone(value));
  } else if (isObject(parent)) parent[last] = clone(value);
  else
    throw new ApiError(
      422,
      `the server rejected our request due to an error in our request: doc is missing path: "${path}"`,
    );
  return root;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new ApiError(400, 'a JSON patch must be a list of operations');
  let doc = clone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op['op'] !== 'string' || typeof op['path'] !== 'string')
      throw new ApiError(400, 'each JSON patch operation needs "op" and "path"');
    const path = op['path'];
    const from = typeof op['from'] === 'string' ? op['from'] : '';
    const value = op['value'] === undefined ? null : op['value'];
    switch (op['op']) {
      case 'add':
        doc = add(doc, path, value, false);
        break;
      case 'replace':
        doc = add(doc, path, value, true);
        break;
      case 'remove':
        remove(doc, path);
        break;
      case 'move':
        doc = add(doc, path, remove(doc, from), false);
        break;
      case 'copy':
        doc = add(doc, path, read(doc, from), false);
        break;
      case 'test':
        if (!deepEqual(read(doc, path), value))
          throw new ApiError(
            422,
            `the server rejected our request due to an error in our request: testing value ${path} failed`,
          );
        break;
      default:
        throw new ApiError(400, `unknown JSON patch operation "${String(op['op'])}"`);
    }
  }
  return doc;
}

/** The merge key of each list that strategic merge patch merges element-wise (other lists are replaced). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  'Service:spec.ports': 'port',
  '*:metadata.ownerReferences': 'uid',
  'Pod:spec.containers': 'name',
  'Pod:spec.initContainers': 'name',
  'Pod:spec.containers.ports': 'containerPort',
  'Pod:spec.containers.env': 'name',
  'Pod:spec.containers.volumeMounts': 'mountPath',
  'Pod:spec.volumes': 'name',
  'Pod:spec.imagePullSecrets': 'name',
  'Pod:status.conditions': 'type',
  'Pod:status.podIPs': 'ip',
  'Namespace:status.conditions': 'type',
  'Service:status.conditions': 'type',
};

function mergeKey(kind: string, path: string): string | undefined {
  return MERGE_KEYS[`${kind}:${path}`] ?? MERGE_KEYS[`*:${path}`];
}

function mergeList(kind: string, path: string, target: Json[], patch: Json[], order: Json[] | undefined): Json[] {
  const key = mergeKey(kind, path);
  if (!key || !patch.every(isObject))
    return patch.filter((item) => !(isObject(item) && item['$patch'] !== undefined)).map((item) => clone(item));
  const result: Json[] = target.map((item) => clone(item));
  for (const item of patch as JsonObject[]) {
    const index = result.findIndex((existing) => isObject(existing) && deepEqual(existing[key], item[key]));
    if (item['$patch'] === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = strategicPatch(kind, path, result[index], item);
    else result.push(strategicPatch(kind, path, undefined, item));
  }
  if (!order) return result;
  const rank = (item: Json): number => {
    const at = order.findIndex((o) => isObject(o) && isObject(item) && deepEqual(o[key], item[key]));
    return at < 0 ? order.length : at;
  };
  return result.sort((a, b) => rank(a) - rank(b));
}

/**
 * Strategic merge patch as kubectl apply, label and annotate send it: a JSON merge where the lists of known
 * merge keys (service ports by port, containers by name, ...) merge element-wise and the `$patch`,
 * `$setElementOrder/`, `$retainKeys` and `$deleteFromPrimitiveList/` directives are honoured.
 */
export function strategicPatch(kind: string, path: string, target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') {
    const replaced = clone(patch);
    delete replaced['$patch'];
    return replaced;
  }
  if (patch['$patch'] === 'delete') return {};
  let result: JsonObject = isObject(target) ? clone(target) : {};
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    const keep = new Set(retain.filter((k): k is string => typeof k === 'string'));
    result = Object.fromEntries(Object.entries(result).filter(([k]) => keep.has(k)));
  }
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined || field === '$patch' || field === '$retainKeys' || field.startsWith('$setElementOrder/'))
      continue;
    if (field.startsWith('$deleteFromPrimitiveList/')) {
      const name = field.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(value) ? value : [];
      const current = result[name];
      if (Array.isArray(current)) result[name] = current.filter((item) => !drop.some((d) => deepEqual(d, item)));
      continue;
    }
    const childPath = path ? `${path}.${field}` : field;
    if (value === null) delete result[field];
    else if (Array.isArray(value)) {
      const order = patch[`$setElementOrder/${field}`];
      const current = result[field];
      result[field] = mergeList(
        kind,
        childPath,
        Array.isArray(current) ? current : [],
        value,
        Array.isArray(order) ? order : undefined,
      );
    } else result[field] = strategicPatch(kind, childPath, result[field], value);
  }
  return result;
}
