import type { SkyRecord } from '@kube-dns-legacy/skymsg';

/** A decoded record and the etcd key it was stored under. */
export interface StoredRecord {
  /** The etcd key, e.g. `/skydns/local/cluster/svc/default/kubernetes/c88f1059`. */
  readonly key: string;
  /** The decoded JSON value. */
  readonly record: SkyRecord;
}

/** The read interface the resolvers use: records at or below a key, with etcd v2 semantics. */
export interface RecordSource {
  /** True once the first complete load has happened (before that, answers are SERVFAIL). */
  readonly ready: boolean;
  /**
   * The records a name's key stands for: every record strictly below `key` (its subtree); when
   * there are none, the record stored exactly at `key`; undefined when neither exists.
   * `key` is never used as a raw prefix (`…/my` does not match `…/my1`).
   */
  lookup(key: string): StoredRecord[] | undefined;
  /** The record stored exactly at `key`, if any. */
  exact(key: string): StoredRecord | undefined;
  /** True when something is stored at or below `key`. */
  exists(key: string): boolean;
}

interface Node {
  children: Map<string, Node> | undefined;
  value: StoredRecord | undefined;
}

function segmentsOf(key: string): string[] {
  return key.split('/').filter((s) => s !== '');
}

/** An in-memory tree of records keyed by path segments (reversed labels), implementing {@link RecordSource}. */
export class RecordTree implements RecordSource {
  private root: Node = { children: undefined, value: undefined };
  private count = 0;
  /** Set to true by the owner once the tree holds a complete snapshot. */
  ready = false;

  /** Number of records stored. */
  get size(): number {
    return this.count;
  }

  /** Store `record` at `key`, replacing any previous value there. */
  set(key: string, record: SkyRecord): void {
    let node = this.root;
    for (const segment of segmentsOf(key)) {
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (child === undefined) {
        child = { children: undefined, value: undefined };
        node.children.set(segment, child);
      }
      node = child;
    }
    if (node.value === undefined) this.count++;
    node.value = { key, record };
  }

  /** Remove the value at `key` (and prune empty branches); true when something was removed. */
  delete(key: string): boolean {
    const path: Array<[Node, string]> = [];
    let node: Node | undefined = this.root;
    for (const segment of segmentsOf(key)) {
      const child: Node | undefined = node.children?.get(segment);
      if (child === undefined) return false;
      path.push([node, segment]);
      node = child;
    }
    if (node.value === undefined) return false;
    node.value = undefined;
    this.count--;
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, segment] = path[i] as [Node, string];
      const child = parent.children?.get(segment);
      if (child === undefined || child.value !== undefined || (child.children?.size ?? 0) > 0) break;
      parent.children?.delete(segment);
    }
    return true;
  }

  /** Take over the records of `other` at once (a fresh full load). */
  replaceWith(other: RecordTree): void {
    this.root = other.root;
    this.count = other.count;
  }

  /** Remove every record. */
  clear(): void {
    this.root = { children: undefined, value: undefined };
    this.count = 0;
  }

  private find(key: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const segment of segmentsOf(key)) {
      node = node.children?.get(segment);
      if (node === undefined) return undefined;
    }
    return node;
  }

  lookup(key: string): StoredRecord[] | undefined {
    const node = this.find(key);
    if (node === undefined) return undefined;
    const below: StoredRecord[] = [];
    const walk = (n: Node): void => {
      if (n.children === undefined) return;
      for (const child of n.children.values()) {
        if (child.value !== undefined) below.push(child.value);
        walk(child);
      }
    };
    walk(node);
    if (below.length > 0) return below.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return node.value === undefined ? undefined : [node.value];
  }

  exact(key: string): StoredRecord | undefined {
    return this.find(key)?.value;
  }

  exists(key: string): boolean {
    return this.find(key) !== undefined;
  }

  /** Every stored record, in key order. */
  entries(): StoredRecord[] {
    return this.lookup('/') ?? [];
  }
}
