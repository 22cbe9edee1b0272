/** Which EndpointSlices belong to which service (the `kubernetes.io/service-name` label), kept up to date as slices change. */
export class SliceIndex {
  private readonly serviceOf = new Map<string, string>();
  private readonly slicesOf = new Map<string, Set<string>>();

  /** Slice `namespace/slice` now belongs to `service` (undefined: to none); returns the service it belonged to before. */
  set(namespace: string, slice: string, service: string | undefined): string | undefined {
    const sliceKey = `${namespace}/${slice}`;
    const before = this.serviceOf.get(sliceKey);
    if (before === service) return before;
    if (before !== undefined) {
      const names = this.slicesOf.get(`${namespace}/${before}`);
      names?.delete(slice);
      if (names?.size === 0) this.slicesOf.delete(`${namespace}/${before}`);
    }
    if (service === undefined) {
      this.serviceOf.delete(sliceKey);
    } else {
      this.serviceOf.set(sliceKey, service);
      const key = `${namespace}/${service}`;
      const names = this.slicesOf.get(key) ?? new Set<string>();
      names.add(slice);
      this.slicesOf.set(key, names);
    }
    return before;
  }

  /** The names of the slices of `namespace/service`. */
  slices(namespace: string, service: string): string[] {
    return [...(this.slicesOf.get(`${namespace}/${service}`) ?? [])];
  }
}
