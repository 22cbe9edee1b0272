/**
 * The records every object wants, merged: a key wanted by several owners (two pods sharing an IP,
 * one endpoint IP named by two headless services) stays wanted until its last owner drops it, and
 * its value is the one claimed by the owner with the smallest id, so the choice is deterministic.
 */
export class DesiredState {
  private readonly byOwner = new Map<string, Map<string, string>>();
  private readonly claims = new Map<string, Map<string, string>>();

  /** Replace the records of `owner`; returns the keys whose desired value may have changed (none for a no-op). */
  set(owner: string, records: ReadonlyMap<string, string>): string[] {
    const old = this.byOwner.get(owner) ?? new Map<string, string>();
    const changed: string[] = [];
    for (const [key, value] of old) {
      if (records.get(key) !== value) {
        this.unclaim(key, owner);
        changed.push(key);
      }
    }
    for (const [key, value] of records) {
      if (old.get(key) !== value) {
        this.claim(key, owner, value);
        if (!old.has(key)) changed.push(key);
      }
    }
    if (records.size === 0) this.byOwner.delete(owner);
    else this.byOwner.set(owner, new Map(records));
    return changed;
  }

  /** Drop every record of `owner`; returns the keys it held. */
  delete(owner: string): string[] {
    return this.set(owner, new Map());
  }

  /** The desired value of `key`, or undefined when no owner wants it. */
  get(key: string): string | undefined {
    const claims = this.claims.get(key);
    if (claims === undefined) return undefined;
    let best: string | undefined;
    let value: string | undefined;
    for (const [owner, v] of claims) {
      if (best === undefined || owner < best) {
        best = owner;
        value = v;
      }
    }
    return value;
  }

  /** Every wanted key. */
  keys(): IterableIterator<string> {
    return this.claims.keys();
  }

  /** The number of wanted keys. */
  get size(): number {
    return this.claims.size;
  }

  private claim(key: string, owner: string, value: string): void {
    let claims = this.claims.get(key);
    if (claims === undefined) {
      claims = new Map();
      this.claims.set(key, claims);
    }
    claims.set(owner, value);
  }

  private unclaim(key: string, owner: string): void {
    const claims = this.claims.get(key);
    claims?.delete(owner);
    if (claims?.size === 0) this.claims.delete(key);
  }
}
