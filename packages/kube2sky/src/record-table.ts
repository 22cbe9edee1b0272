import { encodeRecord } from '@kube-dns-legacy/skymsg';
import { RECORD_DEFAULTS } from './records/names.js';

/**
 * A 32-bit FNV-1a hash of a value's UTF-16 code units, as a small integer: what the table remembers of
 * etcd's values. Not skymsg's leaf label (that hashes UTF-8 bytes); this one only compares values
 * with each other, and allocates nothing (it runs for every record written or read back).
 */
export function valueHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/**
 * The tail that nearly every value kube2sky writes ends with (`,"priority":10,…,"targetstrip":0}`:
 * the encoding of the fields every record shares, after its host and port); slots keep values without it.
 */
const COMMON_TAIL = `,${encodeRecord(RECORD_DEFAULTS).slice(1)}`;

/**
 * A copy of `text` as one flat string. Keys and values are built by concatenation, and V8 keeps such
 * strings as trees of parts (32 bytes per join); a flat copy costs only its characters.
 */
function flat(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** How a slot keeps a value: a JSON object without its `{` and the common tail when it has them; anything else as it is, marked. */
function pack(value: string): string {
  if (!value.startsWith('{')) return flat(`\u0000${value}`);
  return value.endsWith(COMMON_TAIL) ? flat(value.slice(1, -COMMON_TAIL.length)) : flat(value);
}

/** The value a slot keeps in `pack`ed form. */
function unpack(packed: string): string {
  if (packed.startsWith('{')) return packed;
  return packed.startsWith('\u0000') ? packed.slice(1) : `{${packed}${COMMON_TAIL}`;
}

/** The value the objects want at `slot`, or undefined when none does. */
export function wantedValue(slot: Slot): string | undefined {
  return slot.value === undefined ? undefined : unpack(slot.value);
}

/**
 * One etcd key: the value the objects want there and a hash of what etcd holds. Each key is held
 * once, by its slot; owners and the reconciler point at slots, not at copies of the key.
 */
export interface Slot {
  readonly key: string;
  /** The owner whose value wins (the smallest id among the claimants), undefined when no object wants the key. */
  owner: string | undefined;
  /** The winning owner's value, `pack`ed (read it with `wantedValue`). */
  value: string | undefined;
  /** Further claimants (owner → packed value) when several objects want the key; rare. */
  others: Map<string, string> | undefined;
  /** `valueHash` of the value in etcd, undefined when etcd has no such key (as far as kube2sky knows). */
  have: number | undefined;
}

/**
 * The records every object wants, merged, side by side with what etcd holds: a key wanted by several
 * owners (two pods sharing an IP, one endpoint IP named by two headless services) stays wanted until
 * its last owner drops it, and its value is the one claimed by the owner with the smallest id. Of
 * etcd's values only a hash is kept (a value changed by hand into one with the same 32-bit hash
 * would go unnoticed: a chance of 1 in 4 billion per changed key).
 */
export class RecordTable {
  private readonly slotsByKey = new Map<string, Slot>();
  /** Each owner's slots: the slot itself when it has one (most pods), an array otherwise. */
  private readonly byOwner = new Map<string, Slot | Slot[]>();
  private wanted = 0;

  /** Replace the records of `owner`; returns the slots whose desired value may have changed (none for a no-op). */
  set(owner: string, records: ReadonlyMap<string, string>): Slot[] {
    const held = this.byOwner.get(owner);
    const old = held === undefined ? [] : Array.isArray(held) ? held : [held];
    const changed = new Set<Slot>();
    for (const slot of old) {
      const now = records.get(slot.key);
      if (now === undefined || pack(now) !== claimOf(slot, owner)) {
        this.unclaim(slot, owner);
        changed.add(slot);
      }
    }
    const slots: Slot[] = [];
    for (const [key, value] of records) {
      let slot = this.slotsByKey.get(key);
      if (slot === undefined) {
        slot = { key: flat(key), owner: undefined, value: undefined, others: undefined, have: undefined };
        this.slotsByKey.set(slot.key, slot);
      }
      if (claimOf(slot, owner) === undefined) {
        this.claim(slot, owner, pack(value));
        changed.add(slot);
      }
      slots.push(slot);
    }
    if (slots.length === 0) this.byOwner.delete(owner);
    else this.byOwner.set(owner, slots.length === 1 ? (slots[0] as Slot) : slots);
    return [...changed];
  }

  /** Drop every record of `owner`; returns the slots it held. */
  delete(owner: string): Slot[] {
    return this.set(owner, new Map());
  }

  /** Every owner id that holds records. */
  owners(): IterableIterator<string> {
    return this.byOwner.keys();
  }

  /** The desired value of `key`, or undefined when no owner wants it. */
  get(key: string): string | undefined {
    const slot = this.slotsByKey.get(key);
    return slot === undefined ? undefined : wantedValue(slot);
  }

  /** Every slot: wanted keys and keys etcd holds. */
  slots(): IterableIterator<Slot> {
    return this.slotsByKey.values();
  }

  /** The number of wanted keys. */
  get size(): number {
    return this.wanted;
  }

  /** Forget what etcd holds (before re-reading it): every `have` is cleared and slots nobody wants are dropped. */
  forgetEtcd(): void {
    for (const slot of this.slotsByKey.values()) {
      slot.have = undefined;
      if (slot.owner === undefined) this.slotsByKey.delete(slot.key);
    }
  }

  /** etcd holds `key` with a value whose hash is `hash`. */
  observe(key: string, hash: number): void {
    const slot = this.slotsByKey.get(key);
    if (slot !== undefined) slot.have = hash;
    else this.slotsByKey.set(key, { key, owner: undefined, value: undefined, others: undefined, have: hash });
  }

  /** Drop `slot` when no object wants it and etcd does not hold it. */
  prune(slot: Slot): void {
    if (slot.owner === undefined && slot.have === undefined && this.slotsByKey.get(slot.key) === slot)
      this.slotsByKey.delete(slot.key);
  }

  private claim(slot: Slot, owner: string, value: string): void {
    if (slot.owner === undefined) {
      this.wanted++;
      slot.owner = owner;
      slot.value = value;
    } else if (owner < slot.owner) {
      (slot.others ??= new Map()).set(slot.owner, slot.value as string);
      slot.owner = owner;
      slot.value = value;
    } else {
      (slot.others ??= new Map()).set(owner, value);
    }
  }

  private unclaim(slot: Slot, owner: string): void {
    if (slot.owner !== owner) {
      slot.others?.delete(owner);
    } else if (slot.others === undefined) {
      this.wanted--;
      slot.owner = undefined;
      slot.value = undefined;
    } else {
      let next: string | undefined;
      for (const candidate of slot.others.keys()) if (next === undefined || candidate < next) next = candidate;
      slot.owner = next;
      slot.value = slot.others.get(next as string);
      slot.others.delete(next as string);
    }
    if (slot.others?.size === 0) slot.others = undefined;
  }
}

function claimOf(slot: Slot, owner: string): string | undefined {
  return slot.owner === owner ? slot.value : slot.others?.get(owner);
}
