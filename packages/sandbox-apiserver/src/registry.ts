import { randomUUID } from 'node:crypto';
import { admit, admitUpdate } from './admission.js';
import type { JsonObject } from './json.js';
import { asObject, asString, clone, deepEqual, isObject } from './json.js';
import { generateName } from './names.js';
import { checkShape } from './shape.js';
import type { ResourceDef } from './resources.js';
import { apiVersionOf, NAMESPACES, SERVICES } from './resources.js';
import type { ServiceAddresses } from './service-ips.js';
import type { FieldCause } from './status.js';
import { alreadyExists, ApiError, conflict, invalid, notFound } from './status.js';
import type { ObjectStore } from './store.js';

/** Where a request points: a resource, and a namespace and name when given. */
export interface Target {
  /** The resource. */
  readonly def: ResourceDef;
  /** The namespace from the URL ('' for cluster-scoped resources). */
  readonly namespace: string;
  /** The object name from the URL. */
  readonly name: string;
}

/** Preconditions a DELETE may carry. */
export interface DeletePreconditions {
  /** The uid the object must have. */
  readonly uid?: string;
  /** The resourceVersion the object must have. */
  readonly resourceVersion?: string;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function meta(object: JsonObject): JsonObject {
  const m = asObject(object['metadata']);
  object['metadata'] = m;
  return m;
}

/** The API semantics over the store: metadata, defaults, validation, ClusterIPs, optimistic concurrency. */
export class Registry {
  constructor(
    private readonly store: ObjectStore,
    private readonly addresses: ServiceAddresses,
  ) {}

  /** One object, or 404. */
  get(target: Target): JsonObject {
    const found = this.store.get(target.def, target.namespace, target.name);
    if (!found) throw notFound(target.def.plural, target.name, target.def.group);
    return found;
  }

  /** POST: a new object in `namespace` (201 on success at the HTTP edge); `dryRun` validates and answers without storing. */
  create(def: ResourceDef, namespace: string, body: unknown, dryRun = false): JsonObject {
    const object = this.checkBody(def, namespace, body);
    const m = meta(object);
    if (asString(m['resourceVersion']))
      throw new ApiError(400, 'resourceVersion should not be set on objects to be created');
    if (!asString(m['name'])) {
      const prefix = asString(m['generateName']);
      if (!prefix)
        throw invalid(
          def.kind,
          '',
          [
            {
              field: 'metadata.name',
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
            },
          ],
          def.group,
        );
      m['name'] = generateName(prefix);
    }
    const name = String(m['name']);
    if (def.namespaced) this.requireNamespace(namespace);
    if (this.store.get(def, namespace, name)) throw alreadyExists(def.plural, name, def.group);
    m['uid'] = randomUUID();
    m['creationTimestamp'] = now();
    for (const field of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']) delete m[field];
    this.admitOrThrow(def, object, admit(def, object));
    return this.commit(def, object, dryRun, () => (def === SERVICES ? this.addresses.allocate(object) : []));
  }

  /**
   * PUT: replace an object (or its status when `subresource` is `status`), checking resourceVersion when given;
   * `patch` marks the result of a PATCH, which needs no resourceVersion even where a PUT does (Leases).
   */
  update(
    target: Target,
    body: unknown,
    subresource = '',
    dryRun = false,
    patch = false,
  ): { object: JsonObject; created: boolean } {
    const { def, namespace, name } = target;
    const object = this.checkBody(def, namespace, body);
    const m = meta(object);
    if (m['name'] !== undefined && m['name'] !== name)
      throw new ApiError(
        400,
        `the name of the object (${String(m['name'])}) does not match the name on the URL (${name})`,
      );
    m['name'] = name;
    const old = this.store.get(def, namespace, name);
    if (!old) {
      if (!def.createOnUpdate || subresource) throw notFound(def.plural, name, def.group);
      delete m['resourceVersion'];
      return { object: this.create(def, namespace, object, dryRun), created: true };
    }
    const oldMeta = asObject(old['metadata']);
    const given = asString(m['resourceVersion']);
    if (given && given !== oldMeta['resourceVersion']) throw conflict(def.plural, name, def.group);
    if (!given && !patch && !def.allowUnconditionalUpdate) {
      const resource = def.group ? `${def.plural}.${def.group}` : def.plural;
      throw invalid(
        resource,
        name,
        [
          {
            field: 'metadata.resourceVersion',
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 0x0: must be specified for an update',
          },
        ],
        def.group,
      );
    }
    let next: JsonObject;
    if (subresource === 'status') {
      next = clone(old);
      next['status'] = object['status'] ?? {};
    } else {
      next = object;
      if (def.statusSubresource && old['status'] !== undefined) next['status'] = old['status'];
      const nm = meta(next);
      for (const field of ['uid', 'creationTimestamp', 'namespace', 'generateName']) {
        if (oldMeta[field] === undefined) delete nm[field];
        else nm[field] = oldMeta[field];
      }
    }
    meta(next)['resourceVersion'] = oldMeta['resourceVersion'] ?? '';
    this.admitOrThrow(def, next, [...admit(def, next), ...admitUpdate(def, old, next)]);
    return {
      object: this.commit(def, next, dryRun, () => (def === SERVICES ? this.addresses.keep(old, next) : []), old),
      created: false,
    };
  }

  /** DELETE: remove an object (a namespace takes its objects with it); returns what was removed. */
  remove(
    target: Target,
    preconditions: DeletePreconditions = {},
    contained: readonly ResourceDef[] = [],
    dryRun = false,
  ): JsonObject {
    const { def, namespace, name } = target;
    const old = this.get(target);
    const oldMeta = asObject(old['metadata']);
    if (preconditions.uid !== undefined && preconditions.uid !== oldMeta['uid']) {
      throw new ApiError(
        409,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${String(oldMeta['uid'])}`,
        'Conflict',
      );
    }
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== oldMeta['resourceVersion']) {
      throw new ApiError(
        409,
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${String(oldMeta['resourceVersion'])}`,
        'Conflict',
      );
    }
    if (dryRun) return old;
    if (def === NAMESPACES) {
      for (const inner of contained)
        for (const item of this.store.list(inner, name))
          this.remove({ def: inner, namespace: name, name: asString(asObject(item['metadata'])['name']) ?? '' });
    }
    const removed = this.store.remove(def, namespace, name);
    if (!removed) throw notFound(def.plural, name, def.group);
    if (def === SERVICES) this.addresses.release(removed);
    return removed;
  }

  /** Run the address bookkeeping, then store the object; a dry run undoes the bookkeeping, and neither it nor a no-op change stores anything. */
  private commit(
    def: ResourceDef,
    object: JsonObject,
    dryRun: boolean,
    allocate: () => FieldCause[],
    old?: JsonObject,
  ): JsonObject {
    const restore = dryRun ? this.addresses.snapshot() : undefined;
    try {
      this.admitOrThrow(def, object, allocate());
      if (old && deepEqual(object, old)) return old;
      return restore ? object : this.store.put(def, object);
    } finally {
      restore?.();
    }
  }

  private requireNamespace(namespace: string): void {
    if (!this.store.get(NAMESPACES, '', namespace)) throw notFound('namespaces', namespace);
  }

  private admitOrThrow(def: ResourceDef, object: JsonObject, causes: FieldCause[]): void {
    if (causes.length > 0) throw invalid(def.kind, asString(meta(object)['name']) ?? '', causes, def.group);
  }

  private checkBody(def: ResourceDef, namespace: string, body: unknown): JsonObject {
    if (!isObject(body)) throw new ApiError(400, `the body of the request was not a ${def.kind} object`);
    const expected = apiVersionOf(def);
    const object: JsonObject = { kind: def.kind, apiVersion: expected, ...clone(body) };
    if (object['apiVersion'] !== undefined && object['apiVersion'] !== expected) {
      throw new ApiError(
        400,
        `the API version in the data (${String(object['apiVersion'])}) does not match the expected API version (${expected})`,
      );
    }
    if (object['kind'] !== undefined && object['kind'] !== def.kind) {
      throw new ApiError(
        400,
        `the kind in the data (${String(object['kind'])}) does not match the expected kind (${def.kind})`,
      );
    }
    object['kind'] = def.kind;
    object['apiVersion'] = expected;
    checkShape(def.kind, expected, object);
    const m = meta(object);
    if (def.namespaced) {
      if (m['namespace'] !== undefined && m['namespace'] !== '' && m['namespace'] !== namespace) {
        throw new ApiError(
          400,
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      m['namespace'] = namespace;
    } else delete m['namespace'];
    return object;
  }
}
