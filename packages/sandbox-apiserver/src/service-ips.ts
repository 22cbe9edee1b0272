import type { IPAllocator, IPFamily } from './cidr.js';
import { parseIP } from './cidr.js';
import type { Json, JsonObject } from './json.js';
import { asArray, asObject, asString, isObject } from './json.js';
import type { FieldCause } from './status.js';

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

const POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];

function needsNodePorts(spec: JsonObject): boolean {
  return spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer';
}

/** A string list as Go's %#v prints it in field errors: []string{"a", "b"}. */
function goStrings(list: readonly Json[]): string {
  return `[]string{${list.map((v) => JSON.stringify(v)).join(', ')}}`;
}

function invalid(field: string, value: string, message: string): FieldCause {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${message}` };
}

function strings(value: unknown): string[] {
  return asArray(value).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
}

function other(family: IPFamily): IPFamily {
  return family === 'IPv4' ? 'IPv6' : 'IPv4';
}

function sameList(a: unknown, b: unknown): boolean {
  const x = strings(a);
  const y = strings(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * ClusterIP, IP family and NodePort bookkeeping for services, as the API server's service registry does:
 * families and policy defaulted and checked against the configured ranges (one, or one per family for a
 * dual-stack server), addresses allocated on create, kept (or a secondary added or released) on update,
 * released on delete.
 */
export class ServiceAddresses {
  private readonly nodePorts = new Set<number>();
  private readonly byFamily = new Map<IPFamily, IPAllocator>();
  private readonly primary: IPFamily;

  constructor(ranges: readonly IPAllocator[]) {
    for (const range of ranges) this.byFamily.set(range.family, range);
    this.primary = ranges[0]?.family ?? 'IPv4';
  }

  /** Whether the server has a range of each family. */
  get dualStack(): boolean {
    return this.byFamily.size === 2;
  }

  /** Fill in `spec.clusterIP(s)`, IP families and policy and node ports of a new service; returns the problems. */
  allocate(service: JsonObject): FieldCause[] {
    const spec = asObject(service['spec']);
    if (spec['type'] === 'ExternalName') {
      for (const field of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) delete spec[field];
      return [];
    }
    // As the registry's NormalizeClusterIPs: an old client sets only the singular field.
    const single = asString(spec['clusterIP']) ?? '';
    if (single !== '' && asArray(spec['clusterIPs']).length === 0) spec['clusterIPs'] = [single];
    const causes = this.families(spec, selectorless(spec));
    if (causes.length > 0) return causes;
    const allocated: Array<[IPFamily, string]> = [];
    const undo = (): void => {
      for (const [family, ip] of allocated) this.byFamily.get(family)?.release(ip);
    };
    if (spec['clusterIP'] !== 'None') {
      const ips = strings(spec['clusterIPs']);
      const families = strings(spec['ipFamilies']) as IPFamily[];
      for (let i = 0; i < families.length; i++) {
        const result = this.take(families[i] as IPFamily, ips[i] ?? '', ips);
        if (typeof result !== 'string') {
          undo();
          return [result];
        }
        allocated.push([families[i] as IPFamily, result]);
        ips[i] = result;
      }
      spec['clusterIPs'] = ips;
      spec['clusterIP'] = ips[0] ?? '';
    }
    if (!needsNodePorts(spec)) return [];
    const { causes: portCauses, added } = this.allocateNodePorts(spec);
    if (portCauses.length > 0) {
      for (const port of added) this.nodePorts.delete(port);
      undo();
    }
    return portCauses;
  }

  /** Carry the allocated addresses of `old` into `next` (the primary is immutable; a secondary may be added or released); returns the problems. */
  keep(old: JsonObject, next: JsonObject): FieldCause[] {
    const before = asObject(old['spec']);
    const after = asObject(next['spec']);
    if ((before['type'] === 'ExternalName') !== (after['type'] === 'ExternalName')) {
      const causes = this.allocate(next);
      if (causes.length === 0) this.release(old);
      return causes;
    }
    if (after['type'] === 'ExternalName') return this.allocate(next);
    // As the registry's patchAllocatedValues: fields the client left out keep their allocated values.
    if (!asString(after['clusterIP'])) after['clusterIP'] = before['clusterIP'] ?? '';
    if (asArray(after['clusterIPs']).length === 0)
      after['clusterIPs'] = before['clusterIPs'] ?? [after['clusterIP'] ?? ''];
    const wanted = asString(after['clusterIP']) ?? '';
    if (wanted !== before['clusterIP']) {
      return [invalid('spec.clusterIPs[0]', goStrings(asArray(after['clusterIPs'])), 'may not change once set')];
    }
    const causes = this.families(after, selectorless(after), before);
    if (causes.length > 0) return causes;
    const secondary = this.resize(before, after);
    if (typeof secondary !== 'function') return secondary;
    if (needsNodePorts(after)) {
      const oldPorts = new Map<string, number>();
      for (const p of asArray(before['ports']))
        if (isObject(p) && typeof p['nodePort'] === 'number')
          oldPorts.set(`${String(p['port'])}/${String(p['protocol'])}`, p['nodePort']);
      for (const p of asArray(after['ports'])) {
        const kept = isObject(p) ? oldPorts.get(`${String(p['port'])}/${String(p['protocol'])}`) : undefined;
        if (isObject(p) && p['nodePort'] === undefined && kept !== undefined) p['nodePort'] = kept;
      }
      const { causes: portCauses, added } = this.allocateNodePorts(after, oldPorts);
      if (portCauses.length > 0) {
        for (const port of added) this.nodePorts.delete(port);
        secondary(false);
        return portCauses;
      }
    }
    secondary(true);
    const stillUsed = new Set(asArray(after['ports']).map((p) => (isObject(p) ? p['nodePort'] : undefined)));
    for (const p of asArray(before['ports']))
      if (isObject(p) && typeof p['nodePort'] === 'number' && !stillUsed.has(p['nodePort']))
        this.nodePorts.delete(p['nodePort']);
    return [];
  }

  /** Capture ClusterIP and NodePort allocations; the returned function puts them back (for dry runs). */
  snapshot(): () => void {
    const ips = [...this.byFamily.values()].map((a) => a.snapshot());
    const ports = new Set(this.nodePorts);
    return () => {
      for (const restore of ips) restore();
      this.nodePorts.clear();
      for (const p of ports) this.nodePorts.add(p);
    };
  }

  /** Give back the addresses of a deleted service. */
  release(service: JsonObject): void {
    const spec = asObject(service['spec']);
    const ips = strings(spec['clusterIPs']);
    for (const ip of ips.length > 0 ? ips : [asString(spec['clusterIP']) ?? '']) this.releaseIP(ip);
    for (const p of asArray(spec['ports']))
      if (isObject(p) && typeof p['nodePort'] === 'number') this.nodePorts.delete(p['nodePort']);
  }

  private releaseIP(ip: string): void {
    const family = parseIP(ip)?.family;
    if (family) this.byFamily.get(family)?.release(ip);
  }

  /**
   * Default and check `ipFamilyPolicy` and `ipFamilies` against `clusterIPs` and the configured ranges, as the
   * registry's initIPFamilyFields and ValidateServiceClusterIPsRelatedFields do; `before` is the old spec on update.
   */
  private families(spec: JsonObject, noSelector: boolean, before?: JsonObject): FieldCause[] {
    const headless = spec['clusterIP'] === 'None';
    if (spec['ipFamilyPolicy'] === undefined || spec['ipFamilyPolicy'] === null) {
      if (before?.['ipFamilyPolicy'] !== undefined) spec['ipFamilyPolicy'] = before['ipFamilyPolicy'];
      else spec['ipFamilyPolicy'] = headless && noSelector ? 'RequireDualStack' : 'SingleStack';
    }
    const causes = relatedFieldProblems(spec);
    if (causes.length > 0) return causes;
    const policy = spec['ipFamilyPolicy'];
    let ips = strings(spec['clusterIPs']);
    let families = strings(spec['ipFamilies']) as IPFamily[];
    if (before) {
      if (policy === 'SingleStack') {
        // Setting the policy to SingleStack with the lists unchanged is the way to release the secondary.
        if (sameList(before['clusterIPs'], ips) && ips.length > 1) ips = ips.slice(0, 1);
        if (sameList(before['ipFamilies'], families) && families.length > 1) families = families.slice(0, 1);
      } else {
        if (ips.length < strings(before['clusterIPs']).length)
          causes.push(
            invalid(
              'spec.ipFamilyPolicy',
              JSON.stringify(policy),
              "must be 'SingleStack' to release the secondary cluster IP",
            ),
          );
        if (families.length < strings(before['ipFamilies']).length)
          causes.push(
            invalid(
              'spec.ipFamilyPolicy',
              JSON.stringify(policy),
              "must be 'SingleStack' to release the secondary IP family",
            ),
          );
      }
    }
    if (policy === 'SingleStack') {
      if (ips.length === 2)
        causes.push(
          invalid(
            'spec.ipFamilyPolicy',
            JSON.stringify(policy),
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
          ),
        );
      if (families.length === 2)
        causes.push(
          invalid(
            'spec.ipFamilyPolicy',
            JSON.stringify(policy),
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
          ),
        );
    }
    ips.forEach((ip, i) => {
      if (ip === 'None' || i < families.length) return;
      const family = parseIP(ip)?.family ?? 'IPv4';
      if (this.byFamily.has(family)) families.push(family);
      else causes.push(invalid(`spec.clusterIPs[${i}]`, goStrings(ips), `${family} is not configured on this cluster`));
    });
    spec['clusterIPs'] = ips;
    spec['ipFamilies'] = families;
    if (causes.length > 0) return causes;
    if (headless && noSelector) {
      // Headless and selectorless: any families are allowed, even those the server has no range for.
      if (families.length === 0) families.push(this.primary);
      if (families.length < 2 && policy !== 'SingleStack') families.push(other(families[0] as IPFamily));
      return [];
    }
    if (policy === 'RequireDualStack' && !this.dualStack)
      causes.push(
        invalid(
          'spec.ipFamilyPolicy',
          JSON.stringify(policy),
          'this cluster is not configured for dual-stack services',
        ),
      );
    families.forEach((family, i) => {
      if (!this.byFamily.has(family))
        causes.push(invalid(`spec.ipFamilies[${i}]`, JSON.stringify(family), 'not configured on this cluster'));
    });
    if (causes.length > 0) return causes;
    if (families.length === 0) families.push(this.primary);
    if (policy !== 'SingleStack' && families.length === 1 && this.dualStack)
      families.push(other(families[0] as IPFamily));
    return [];
  }

  /** Allocate `wanted` (or the next free address when '') from the range of `family`; the address, or the problem. */
  private take(family: IPFamily, wanted: string, all: readonly string[]): string | FieldCause {
    const range = this.byFamily.get(family);
    if (!range) return invalid('spec.ipFamilies', JSON.stringify(family), 'not configured on this cluster');
    if (wanted === '') {
      const ip = range.next();
      return ip ?? invalid('spec.clusterIPs', '[]', `failed to allocate IP: range ${range.cidr} is full`);
    }
    const problem = range.reserve(wanted);
    if (!problem) return wanted;
    const why =
      problem === 'taken'
        ? 'provided IP is already allocated'
        : `the provided IP (${wanted}) is not in the valid range. The range of valid IPs is ${range.cidr}`;
    return invalid('spec.clusterIPs', goStrings([...all]), `failed to allocate IP ${wanted}: ${why}`);
  }

  /**
   * On update, add the secondary address (dual-stack upgrade) or mark the old one for release (downgrade); the
   * returned function completes (true) or undoes (false) the change, or the problems when there is none to make.
   */
  private resize(before: JsonObject, after: JsonObject): FieldCause[] | ((commit: boolean) => void) {
    const noop = (): void => undefined;
    if (after['clusterIP'] === 'None') return noop;
    const oldIPs = strings(before['clusterIPs']);
    const ips = strings(after['clusterIPs']);
    const families = strings(after['ipFamilies']) as IPFamily[];
    if (ips[0] !== oldIPs[0]) return [invalid('spec.clusterIPs[0]', goStrings(ips), 'may not change once set')];
    if (families.length > oldIPs.length) {
      const result = this.take(families[1] as IPFamily, ips[1] ?? '', ips);
      if (typeof result !== 'string') return [result];
      after['clusterIPs'] = [ips[0] ?? '', result];
      return (commit) => {
        if (!commit) this.releaseIP(result);
      };
    }
    if (families.length < oldIPs.length) {
      after['clusterIPs'] = ips.slice(0, families.length);
      const released = oldIPs[1] ?? '';
      return (commit) => {
        if (commit) this.releaseIP(released);
      };
    }
    if (ips.length > 1 && ips[1] !== oldIPs[1])
      return [invalid('spec.clusterIPs[1]', goStrings(ips), 'may not change once set')];
    return noop;
  }

  private allocateNodePorts(
    spec: JsonObject,
    owned = new Map<string, number>(),
  ): { causes: FieldCause[]; added: number[] } {
    const causes: FieldCause[] = [];
    const added: number[] = [];
    const mine = new Set(owned.values());
    asArray(spec['ports']).forEach((p, i) => {
      if (!isObject(p)) return;
      const given = p['nodePort'];
      if (typeof given === 'number') {
        if (mine.has(given)) return;
        if (given < NODE_PORT_MIN || given > NODE_PORT_MAX) {
          causes.push({
            field: `spec.ports[${i}].nodePort`,
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${given}: provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
          });
        } else if (this.nodePorts.has(given)) {
          causes.push({
            field: `spec.ports[${i}].nodePort`,
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${given}: provided port is already allocated`,
          });
        } else {
          this.nodePorts.add(given);
          added.push(given);
        }
        return;
      }
      for (let port = NODE_PORT_MIN; port <= NODE_PORT_MAX; port++) {
        if (!this.nodePorts.has(port)) {
          this.nodePorts.add(port);
          added.push(port);
          p['nodePort'] = port;
          return;
        }
      }
    });
    return { causes, added };
  }
}

/** A service without a selector (an empty map counts as none: the API server does not keep empty maps). */
export function selectorless(spec: JsonObject): boolean {
  return Object.keys(asObject(spec['selector'])).length === 0;
}

/** ValidateServiceClusterIPsRelatedFields: clusterIP against clusterIPs, families, policy, and the IPs themselves. */
function relatedFieldProblems(spec: JsonObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const single = asString(spec['clusterIP']) ?? '';
  const ips = strings(spec['clusterIPs']);
  if (single !== '') {
    if (ips.length === 0)
      causes.push({ field: 'spec.clusterIPs', reason: 'FieldValueRequired', message: 'Required value' });
    else if (ips[0] !== single)
      causes.push(invalid('spec.clusterIPs', goStrings(ips), 'first value must match `clusterIP`'));
  } else if (ips.length > 0)
    causes.push(invalid('spec.clusterIPs', goStrings(ips), 'must be empty when `clusterIP` is not specified'));
  const seen = new Set<string>();
  strings(spec['ipFamilies']).forEach((family, i) => {
    if (family !== 'IPv4' && family !== 'IPv6')
      causes.push({
        field: `spec.ipFamilies[${i}]`,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(family)}: supported values: "IPv4", "IPv6"`,
      });
    if (seen.has(family))
      causes.push({
        field: `spec.ipFamilies[${i}]`,
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: ${JSON.stringify(family)}`,
      });
    seen.add(family);
  });
  const policy = spec['ipFamilyPolicy'];
  if (!POLICIES.includes(String(policy))) {
    causes.push({
      field: 'spec.ipFamilyPolicy',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "PreferDualStack", "RequireDualStack", "SingleStack"`,
    });
  }
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        badIPs = true;
        causes.push(invalid('spec.clusterIPs', goStrings(ips), "'None' must be the first and only value"));
      }
      return;
    }
    if (!parseIP(ip)) {
      badIPs = true;
      causes.push(
        invalid(
          `spec.clusterIPs[${i}]`,
          JSON.stringify(ip),
          'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        ),
      );
    }
  });
  if (ips.length > 2) causes.push(invalid('spec.clusterIPs', goStrings(ips), 'may only hold up to 2 values'));
  if (badIPs) return causes;
  if (ips.length === 2 && parseIP(ips[0] ?? '')?.family === parseIP(ips[1] ?? '')?.family) {
    causes.push(invalid('spec.clusterIPs', goStrings(ips), 'may specify no more than one IP for each IP family'));
  }
  const families = strings(spec['ipFamilies']);
  if (ips[0] !== 'None') {
    ips.forEach((ip, i) => {
      const family = families[i];
      if (family === undefined) return;
      const actual = parseIP(ip)?.family;
      if (family !== actual && (family === 'IPv4' || family === 'IPv6'))
        causes.push(
          invalid(
            `spec.clusterIPs[${i}]`,
            JSON.stringify(ip),
            `expected an ${family} value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
    });
  }
  return causes;
}
