import type { Logger } from 'winston';
import type { IPFamily } from './cidr.js';
import { canonicalIP } from './cidr.js';
import type { JsonObject } from './json.js';
import { asArray, asObject, asString, deepEqual, isObject } from './json.js';
import type { Registry } from './registry.js';
import { ENDPOINT_SLICES, ENDPOINTS, SERVICES } from './resources.js';
import { selectorless } from './service-ips.js';
import type { ObjectStore, StoreEvent } from './store.js';
import { nameOf } from './store.js';

/** The `endpointslice.kubernetes.io/managed-by` value of mirrored slices. */
export const MIRRORING_CONTROLLER = 'endpointslicemirroring-controller.k8s.io';

const SERVICE_NAME = 'kubernetes.io/service-name';
const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
const SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';
/** Annotations of the Endpoints that are not copied onto the slices. */
const NOT_COPIED = [
  'endpoints.kubernetes.io/last-change-trigger-time',
  'kubectl.kubernetes.io/last-applied-configuration',
];
/** The controller's --mirroring-max-endpoints-per-subset default: addresses past it are not mirrored. */
const MAX_ENDPOINTS_PER_SUBSET = 1000;

/** One slice the controller wants: its address type, ports and endpoints. */
export interface MirroredSlice {
  /** IPv4 or IPv6 (each family gets its own slices). */
  readonly addressType: IPFamily;
  /** The subset's ports as EndpointSlice ports. */
  readonly ports: readonly JsonObject[];
  /** One endpoint per address, ready or not, sorted by address. */
  readonly endpoints: readonly JsonObject[];
}

/** Whether an Endpoints object is mirrored: its Service exists without a selector, and it is not marked to skip. */
export function shouldMirror(endpoints: JsonObject | undefined, service: JsonObject | undefined): boolean {
  if (!endpoints || !service) return false;
  const meta = asObject(endpoints['metadata']);
  if (
    asObject(meta['labels'])[SKIP_MIRROR] === 'true' ||
    asObject(meta['annotations'])[LEADER_ANNOTATION] !== undefined
  )
    return false;
  return selectorless(asObject(service['spec']));
}

function slicePort(port: JsonObject): JsonObject {
  const out: JsonObject = {
    name: asString(port['name']) ?? '',
    port: port['port'] ?? 0,
    protocol: port['protocol'] ?? 'TCP',
  };
  if (port['appProtocol'] !== undefined) out['appProtocol'] = port['appProtocol'];
  return out;
}

/** The identity of a port set, whatever its order (the controller's port map key). */
function portsKey(ports: readonly unknown[]): string {
  return ports
    .map((p) => JSON.stringify(slicePort(asObject(p)), ['name', 'port', 'protocol', 'appProtocol']))
    .sort()
    .join(',');
}

function endpointOf(address: JsonObject, ready: boolean): { family: IPFamily; endpoint: JsonObject } | undefined {
  const ip = canonicalIP(asString(address['ip']) ?? '');
  if (!ip) return undefined;
  const endpoint: JsonObject = { addresses: [ip.text], conditions: { ready } };
  if (asString(address['hostname'])) endpoint['hostname'] = address['hostname'];
  if (address['nodeName'] !== undefined && address['nodeName'] !== null) endpoint['nodeName'] = address['nodeName'];
  if (isObject(address['targetRef'])) endpoint['targetRef'] = address['targetRef'];
  return { family: ip.family, endpoint };
}

function byAddress(a: JsonObject, b: JsonObject): number {
  const x = String(asArray(a['addresses'])[0]);
  const y = String(asArray(b['addresses'])[0]);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The slices the endpointslice-mirroring controller derives from an Endpoints object: subsets with the same
 * ports merged (an address both ready and not ready counts as ready), one slice per port set and address
 * family, at most 1000 addresses per subset.
 */
export function mirroredSlices(endpoints: JsonObject): MirroredSlice[] {
  const groups = new Map<
    string,
    { ports: JsonObject[]; addresses: Map<string, { address: JsonObject; ready: boolean }> }
  >();
  for (const subset of asArray(endpoints['subsets'])) {
    const s = asObject(subset);
    const key = portsKey(asArray(s['ports']));
    let group = groups.get(key);
    if (!group)
      groups.set(
        key,
        (group = { ports: asArray(s['ports']).map((p) => slicePort(asObject(p))), addresses: new Map() }),
      );
    for (const [field, ready] of [
      ['addresses', true],
      ['notReadyAddresses', false],
    ] as const) {
      for (const item of asArray(s[field])) {
        const address = asObject(item);
        const id = `${asString(address['ip']) ?? ''}/${asString(asObject(address['targetRef'])['uid']) ?? ''}`;
        const seen = group.addresses.get(id);
        if (!seen || (ready && !seen.ready)) group.addresses.set(id, { address, ready });
      }
    }
  }
  const slices: MirroredSlice[] = [];
  for (const group of groups.values()) {
    const byFamily = new Map<IPFamily, JsonObject[]>();
    const ordered = [...group.addresses.values()].sort((a, b) => Number(b.ready) - Number(a.ready));
    let added = 0;
    for (const { address, ready } of ordered) {
      if (added >= MAX_ENDPOINTS_PER_SUBSET) break;
      const made = endpointOf(address, ready);
      if (!made) continue;
      added++;
      const list = byFamily.get(made.family) ?? [];
      list.push(made.endpoint);
      byFamily.set(made.family, list);
    }
    for (const family of ['IPv4', 'IPv6'] as const) {
      const list = byFamily.get(family);
      if (list) slices.push({ addressType: family, ports: group.ports, endpoints: list.sort(byAddress) });
    }
  }
  return slices;
}

/** The EndpointSlice object for `slice` (labels and annotations copied from the Endpoints, owned by it). */
function sliceObject(endpoints: JsonObject, slice: MirroredSlice, name: string | undefined): JsonObject {
  const meta = asObject(endpoints['metadata']);
  const serviceName = asString(meta['name']) ?? '';
  const labels = { ...asObject(meta['labels']), [SERVICE_NAME]: serviceName, [MANAGED_BY]: MIRRORING_CONTROLLER };
  const annotations = Object.fromEntries(
    Object.entries(asObject(meta['annotations'])).filter(([k]) => !NOT_COPIED.includes(k)),
  );
  const sliceMeta: JsonObject = {
    labels,
    ownerReferences: [
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        name: serviceName,
        uid: meta['uid'] ?? '',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  if (Object.keys(annotations).length > 0) sliceMeta['annotations'] = annotations;
  if (name) sliceMeta['name'] = name;
  else sliceMeta['generateName'] = `${serviceName}-`;
  const object: JsonObject = { metadata: sliceMeta, addressType: slice.addressType, endpoints: [...slice.endpoints] };
  if (slice.ports.length > 0) object['ports'] = [...slice.ports];
  return object;
}

/** Whether an existing slice already says what `wanted` says (endpoints in any order, labels, annotations). */
function sameSlice(existing: JsonObject, wanted: JsonObject): boolean {
  const a = asObject(existing['metadata']);
  const b = asObject(wanted['metadata']);
  const sorted = (o: JsonObject): JsonObject[] => asArray(o['endpoints']).map(asObject).sort(byAddress);
  return (
    deepEqual(sorted(existing), sorted(wanted)) &&
    deepEqual(asObject(a['labels']), asObject(b['labels'])) &&
    deepEqual(asObject(a['annotations']), asObject(b['annotations']))
  );
}

function sliceKey(addressType: unknown, ports: readonly unknown[]): string {
  return `${String(addressType)}|${portsKey(ports)}`;
}

/**
 * The endpointslice-mirroring controller of kube-controller-manager, in process: for each Endpoints object whose
 * Service exists without a selector, it keeps EndpointSlices `<service>-xxxxx` in step, through the registry, so
 * every change is an ordinary watch event; it deletes them when the Endpoints or Service go or the Service gains
 * a selector, and puts back mirrored slices someone else changed. Work runs after the change that caused it.
 */
export class EndpointSliceMirroring {
  private readonly pending = new Set<string>();
  private readonly unsubscribe: () => void;
  private scheduled = false;
  /** True while the controller writes: its own slice changes do not queue more work. */
  private writing = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: Registry,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = store.subscribe((event) => this.observe(event));
  }

  /** Stop reacting to changes. */
  stop(): void {
    this.unsubscribe();
    this.pending.clear();
  }

  private observe(event: StoreEvent): void {
    const { namespace, name } = nameOf(event.object);
    if (event.def === ENDPOINTS || event.def === SERVICES) this.queue(namespace, name);
    else if (event.def === ENDPOINT_SLICES && !this.writing) {
      for (const object of [event.object, event.previous]) {
        const labels = asObject(asObject(object?.['metadata'])['labels']);
        const service = asString(labels[SERVICE_NAME]);
        if (labels[MANAGED_BY] === MIRRORING_CONTROLLER && service) this.queue(namespace, service);
      }
    }
  }

  private queue(namespace: string, name: string): void {
    this.pending.add(`${namespace}/${name}`);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const keys = [...this.pending];
      this.pending.clear();
      for (const key of keys) {
        const [namespace = '', name = ''] = key.split('/');
        try {
          this.writing = true;
          this.sync(namespace, name);
        } catch (err) {
          this.logger.warn('endpointslice mirroring failed', { endpoints: key, error: (err as Error).message });
        } finally {
          this.writing = false;
        }
      }
    });
  }

  /** Make the mirrored slices of `namespace/name` match its Endpoints (or remove them). */
  private sync(namespace: string, name: string): void {
    const endpoints = this.store.get(ENDPOINTS, namespace, name);
    const existing = this.store.list(ENDPOINT_SLICES, namespace).filter((slice) => {
      const labels = asObject(asObject(slice['metadata'])['labels']);
      return labels[SERVICE_NAME] === name && labels[MANAGED_BY] === MIRRORING_CONTROLLER;
    });
    const wanted =
      endpoints && shouldMirror(endpoints, this.store.get(SERVICES, namespace, name)) ? mirroredSlices(endpoints) : [];
    const byKey = new Map<string, JsonObject[]>();
    for (const slice of existing) {
      const key = sliceKey(slice['addressType'], asArray(slice['ports']));
      byKey.set(key, [...(byKey.get(key) ?? []), slice]);
    }
    const toCreate: JsonObject[] = [];
    const toUpdate: JsonObject[] = [];
    const toDelete: JsonObject[] = [];
    for (const slice of wanted) {
      const key = sliceKey(slice.addressType, slice.ports);
      const [first, ...extra] = byKey.get(key) ?? [];
      byKey.delete(key);
      toDelete.push(...extra);
      const firstName = asString(asObject(first?.['metadata'])['name']);
      const object = sliceObject(endpoints ?? {}, slice, firstName);
      if (!first) toCreate.push(object);
      else if (!sameSlice(first, object)) toUpdate.push(object);
    }
    for (const rest of byKey.values()) toDelete.push(...rest);
    // As the controller's recycleSlices: a slice that would be deleted is reused for a new one of its address type.
    for (const object of [...toCreate]) {
      const reuse = toDelete.findIndex((old) => old['addressType'] === object['addressType']);
      if (reuse < 0) continue;
      const [old] = toDelete.splice(reuse, 1);
      const meta = asObject(object['metadata']);
      delete meta['generateName'];
      meta['name'] = asObject(old?.['metadata'])['name'] ?? '';
      toCreate.splice(toCreate.indexOf(object), 1);
      toUpdate.push(object);
    }
    for (const object of toCreate) this.registry.create(ENDPOINT_SLICES, namespace, object);
    for (const object of toUpdate)
      this.registry.update(
        { def: ENDPOINT_SLICES, namespace, name: String(asObject(object['metadata'])['name']) },
        object,
      );
    for (const old of toDelete)
      this.registry.remove({ def: ENDPOINT_SLICES, namespace, name: String(asObject(old['metadata'])['name']) });
  }
}
