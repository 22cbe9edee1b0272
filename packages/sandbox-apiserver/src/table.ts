import type { Json, JsonObject } from './json.js';
import { asArray, asObject, asString } from './json.js';
import type { ResourceDef } from './resources.js';

/** A Table column: name, type and priority (0 = always shown, 1 = with `-o wide`). */
type Column = readonly [name: string, type: string, priority: number, cell: (o: JsonObject) => Json];

/** Kubernetes' human duration: 45s, 3m20s, 5h, 3d4h, 200d. */
export function humanAge(created: string | undefined, nowMs = Date.now()): string {
  if (!created) return '<unknown>';
  const seconds = Math.max(0, Math.floor((nowMs - Date.parse(created)) / 1000));
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (seconds < 120) return `${seconds}s`;
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  return `${days}d`;
}

const spec = (o: JsonObject): JsonObject => asObject(o['spec']);
const name: Column = ['Name', 'string', 0, (o) => asString(asObject(o['metadata'])['name']) ?? ''];
const age: Column = ['Age', 'string', 0, (o) => humanAge(asString(asObject(o['metadata'])['creationTimestamp']))];

function servicePorts(o: JsonObject): string {
  const ports = asArray(spec(o)['ports']).map((p) => {
    const port = asObject(p);
    const node = port['nodePort'] === undefined ? '' : `:${String(port['nodePort'])}`;
    return `${String(port['port'])}${node}/${String(port['protocol'] ?? 'TCP')}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

function externalIPs(o: JsonObject): string {
  const s = spec(o);
  if (s['type'] === 'ExternalName') return asString(s['externalName']) ?? '<none>';
  const ingress = asArray(asObject(asObject(o['status'])['loadBalancer'])['ingress']).map(
    (i) => asString(asObject(i)['ip']) ?? asString(asObject(i)['hostname']) ?? '',
  );
  const ips = [...asArray(s['externalIPs']).map(String), ...ingress].filter((x) => x !== '');
  if (ips.length > 0) return ips.join(',');
  return s['type'] === 'LoadBalancer' ? '<pending>' : '<none>';
}

function selector(o: JsonObject): string {
  const entries = Object.entries(asObject(spec(o)['selector']));
  return entries.length > 0 ? entries.map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
}

function endpointList(o: JsonObject): string {
  const items: string[] = [];
  for (const subset of asArray(o['subsets'])) {
    const s = asObject(subset);
    const ports = asArray(s['ports']).map((p) => String(asObject(p)['port']));
    for (const address of asArray(s['addresses'])) {
      const ip = asString(asObject(address)['ip']) ?? '';
      if (ports.length === 0) items.push(ip);
      for (const port of ports) items.push(`${ip}:${port}`);
    }
  }
  if (items.length === 0) return '<none>';
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

function sliceEndpoints(o: JsonObject): string {
  const addresses = asArray(o['endpoints']).flatMap((e) => asArray(asObject(e)['addresses']).map(String));
  if (addresses.length === 0) return '<unset>';
  return addresses.length > 3
    ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...`
    : addresses.join(',');
}

function podReady(o: JsonObject): string {
  const statuses = asArray(asObject(o['status'])['containerStatuses']);
  const ready = statuses.filter((c) => asObject(c)['ready'] === true).length;
  return `${ready}/${asArray(spec(o)['containers']).length}`;
}

const COLUMNS: Readonly<Record<string, readonly Column[]>> = {
  Namespace: [name, ['Status', 'string', 0, (o) => asString(asObject(o['status'])['phase']) ?? ''], age],
  Service: [
    name,
    ['Type', 'string', 0, (o) => asString(spec(o)['type']) ?? ''],
    ['Cluster-IP', 'string', 0, (o) => asString(spec(o)['clusterIP']) ?? '<none>'],
    ['External-IP', 'string', 0, externalIPs],
    ['Port(s)', 'string', 0, servicePorts],
    age,
    ['Selector', 'string', 1, selector],
  ],
  Endpoints: [name, ['Endpoints', 'string', 0, endpointList], age],
  ConfigMap: [
    name,
    [
      'Data',
      'integer',
      0,
      (o) => Object.keys(asObject(o['data'])).length + Object.keys(asObject(o['binaryData'])).length,
    ],
    age,
  ],
  Lease: [name, ['Holder', 'string', 0, (o) => asString(spec(o)['holderIdentity']) ?? ''], age],
  Pod: [
    name,
    ['Ready', 'string', 0, podReady],
    ['Status', 'string', 0, (o) => asString(asObject(o['status'])['phase']) ?? ''],
    ['Restarts', 'string', 0, () => '0'],
    age,
    ['IP', 'string', 1, (o) => asString(asObject(o['status'])['podIP']) ?? '<none>'],
    ['Node', 'string', 1, (o) => asString(spec(o)['nodeName']) ?? '<none>'],
  ],
  EndpointSlice: [
    name,
    ['AddressType', 'string', 0, (o) => asString(o['addressType']) ?? ''],
    [
      'Ports',
      'string',
      0,
      (o) =>
        asArray(o['ports'])
          .map((p) => String(asObject(p)['port']))
          .join(',') || '<unset>',
    ],
    ['Endpoints', 'string', 0, sliceEndpoints],
    age,
  ],
};

/** How much of each object a Table row carries (`includeObject`). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(object: JsonObject, include: IncludeObject): Json {
  if (include === 'Object') return object;
  if (include === 'None') return null;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: asObject(object['metadata']) };
}

/** A meta.k8s.io/v1 Table of `objects`, with the columns `kubectl get` prints for their kind. */
export function toTable(
  def: ResourceDef,
  objects: readonly JsonObject[],
  resourceVersion: string,
  include: IncludeObject,
  withDefinitions = true,
): JsonObject {
  const columns = COLUMNS[def.kind] ?? [name, age];
  const table: JsonObject = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: withDefinitions
      ? columns.map(([title, type, priority]) => ({
          name: title,
          type,
          format: title === 'Name' ? 'name' : '',
          description: title,
          priority,
        }))
      : [],
    rows: objects.map((o) => ({ cells: columns.map(([, , , cell]) => cell(o)), object: rowObject(o, include) })),
  };
  return table;
}
