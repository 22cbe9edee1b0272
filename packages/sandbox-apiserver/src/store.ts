import type { JsonObject } from './json.js';
import { asObject, asString, clone } from './json.js';
import type { ResourceDef } from './resources.js';
import { expired } from './status.js';

/** The kind of change a watch event reports. */
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, kept in the history for watches that resume from a resourceVersion. */
export interface StoreEvent {
  /** The resourceVersion the change produced. */
  readonly rv: number;
  /** What happened. */
  readonly type: EventType;
  /** The resource the object belongs to. */
  readonly def: ResourceDef;
  /** The object after the change (before it, for DELETED, with the deletion's resourceVersion). */
  readonly object: JsonObject;
  /** For MODIFIED and DELETED, the object before the change (watches with selectors and paged lists need it). */
  readonly previous?: JsonObject;
}

/** The name and namespace of a stored object. */
export function nameOf(object: JsonObject): { name: string; namespace: string } {
  const meta = asObject(object['metadata']);
  return { name: asString(meta['name']) ?? '', namespace: asString(meta['namespace']) ?? '' };
}

function keyOf(def: ResourceDef, namespace: string, name: string): string {
  return `${def.group}/${def.plural}/${namespace}/${name}`;
}

/**
 * All objects of the sandbox, with one global resourceVersion counter (like etcd's revision) and a bounded
 * history of changes so that watches can resume from a version; versions older than the history are expired.
 */
export class ObjectStore {
  private readonly objects = new Map<string, JsonObject>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private revision = 1;
  /** The last full sorted listing made for paged lists, valid while the revision is unchanged. */
  private sorted:
    | { def: ResourceDef; revision: number; entries: Array<{ id: string; object: JsonObject }> }
    | undefined;
  private compacted = 1;

  constructor(private readonly historyLimit = 1000) {}

  /** The newest resourceVersion. */
  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may still resume from. */
  get oldestResumable(): number {
    return this.compacted;
  }

  /** A copy of one object, or undefined. */
  get(def: ResourceDef, namespace: string, name: string): JsonObject | undefined {
    const found = this.objects.get(keyOf(def, namespace, name));
    return found ? clone(found) : undefined;
  }

  /** Copies of the objects of one resource (in one namespace when given), sorted by namespace and name. */
  list(def: ResourceDef, namespace?: string): JsonObject[] {
    const prefix = namespace === undefined ? `${def.group}/${def.plural}/` : `${def.group}/${def.plural}/${namespace}/`;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => clone(object));
  }

  /**
   * The objects of one resource (in one namespace when given) as they were at resourceVersion `rv`,
   * sorted by `namespace/name`, only those whose `namespace/name` sorts after `after`; not copied.
   * Changes after `rv` are undone from the history; a 410 ApiError when `rv` is older than it.
   */
  listAt(
    def: ResourceDef,
    namespace: string | undefined,
    rv: number,
    after: string,
  ): Array<{ id: string; object: JsonObject }> {
    if (rv < this.compacted) throw expired(rv, this.compacted);
    const inNamespace = namespace === undefined ? '' : `${namespace}/`;
    // Pages of an unchanged store (the usual case) come from one sorted copy: each page costs a search, not a sort.
    if (rv === this.revision) {
      if (this.sorted?.def !== def || this.sorted.revision !== rv)
        this.sorted = { def, revision: rv, entries: this.sortedAt(def, rv, '', '') };
      const entries = this.sorted.entries;
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((entries[mid] as { id: string }).id > after) hi = mid;
        else lo = mid + 1;
      }
      return entries.slice(lo).filter(({ id }) => id.startsWith(inNamespace));
    }
    return this.sortedAt(def, rv, after, inNamespace);
  }

  private sortedAt(
    def: ResourceDef,
    rv: number,
    after: string,
    inNamespace: string,
  ): Array<{ id: string; object: JsonObject }> {
    const prefix = `${def.group}/${def.plural}/`;
    const state = new Map<string, JsonObject | undefined>();
    for (const [key, object] of this.objects) if (key.startsWith(prefix)) state.set(key.slice(prefix.length), object);
    for (let i = this.history.length - 1; i >= 0 && (this.history[i] as StoreEvent).rv > rv; i--) {
      const event = this.history[i] as StoreEvent;
      if (event.def !== def) continue;
      const { name, namespace: ns } = nameOf(event.object);
      state.set(`${ns}/${name}`, event.type === 'ADDED' ? undefined : event.previous);
    }
    const found: Array<{ id: string; object: JsonObject }> = [];
    for (const [id, object] of state)
      if (object !== undefined && id > after && id.startsWith(inNamespace)) found.push({ id, object });
    return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** How many objects of one resource are stored (no copies made). */
  count(def: ResourceDef): number {
    const prefix = `${def.group}/${def.plural}/`;
    let n = 0;
    for (const key of this.objects.keys()) if (key.startsWith(prefix)) n++;
    return n;
  }

  /** Store a new or changed object: stamps the next resourceVersion, records and announces the change. */
  put(def: ResourceDef, object: JsonObject): JsonObject {
    const { name, namespace } = nameOf(object);
    const key = keyOf(def, namespace, name);
    const previous = this.objects.get(key);
    const stored = this.stamp(object);
    this.objects.set(key, stored);
    this.emit(
      previous
        ? { rv: this.revision, type: 'MODIFIED', def, object: stored, previous }
        : { rv: this.revision, type: 'ADDED', def, object: stored },
    );
    return clone(stored);
  }

  /** Remove an object; returns it with the deletion's resourceVersion, or undefined when absent. */
  remove(def: ResourceDef, namespace: string, name: string): JsonObject | undefined {
    const key = keyOf(def, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return undefined;
    this.objects.delete(key);
    const gone = this.stamp(existing);
    this.emit({ rv: this.revision, type: 'DELETED', def, object: gone, previous: existing });
    return clone(gone);
  }

  /** Forget the whole history: watches from any version before now answer 410 Expired. */
  compact(): void {
    this.history.length = 0;
    this.compacted = this.revision;
  }

  /** The changes after `rv`, or a 410 ApiError when `rv` is older than the kept history. */
  since(rv: number): StoreEvent[] {
    if (rv < this.compacted) throw expired(rv, this.compacted);
    return this.history.filter((event) => event.rv > rv);
  }

  /** Call `listener` with every future change; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private stamp(object: JsonObject): JsonObject {
    this.revision += 1;
    const copy = clone(object);
    copy['metadata'] = { ...asObject(copy['metadata']), resourceVersion: String(this.revision) };
    return copy;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compacted = dropped.rv;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}
