import { isIP } from 'node:net';
import type { IPv4Allocator } from './cidr.js';
import type { JsonObject } from './json.js';
import { asArray, asObject, asString, isObject } from './json.js';
import type { FieldCause } from './status.js';

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

function needsNodePorts(spec: JsonObject): boolean {
  return spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer';
}

/** ClusterIP and NodePort bookkeeping for services: allocate on create, keep on update, release on delete. */
export class ServiceAddresses {
  private readonly nodePorts = new Set<number>();

  constructor(private readonly ips: IPv4Allocator) {}

  /** Fill in `spec.clusterIP(s)`, IP families and node ports of a new service; returns the problems. */
  allocate(service: JsonObject): FieldCause[] {
    const spec = asObject(service['spec']);
    if (spec['type'] === 'ExternalName') {
      delete spec['clusterIP'];
      delete spec['clusterIPs'];
      return [];
    }
    const wanted = asString(spec['clusterIP']) ?? asString(asArray(spec['clusterIPs'])[0]) ?? '';
    if (wanted === 'None') {
      spec['clusterIP'] = 'None';
      spec['clusterIPs'] = ['None'];
    } else if (wanted === '') {
      const ip = this.ips.next();
      if (ip === undefined) return [{ field: 'spec.clusterIPs', reason: 'FieldValueInvalid', message: `Invalid value: []: failed to allocate IP: range is full` }];
      spec['clusterIP'] = ip;
      spec['clusterIPs'] = [ip];
    } else if (!isIP(wanted)) {
      return [{ field: 'spec.clusterIPs[0]', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(wanted)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)` }];
    } else {
      const problem = this.ips.reserve(wanted);
      if (problem) {
        const why = problem === 'taken' ? 'provided IP is already allocated' : `the provided IP (${wanted}) is not in the valid range. The range of valid IPs is ${this.ips.cidr}`;
        return [{ field: 'spec.clusterIPs', reason: 'FieldValueInvalid', message: `Invalid value: []string{${JSON.stringify(wanted)}}: failed to allocate IP ${wanted}: ${why}` }];
      }
      spec['clusterIP'] = wanted;
      spec['clusterIPs'] = [wanted];
    }
    spec['ipFamilies'] ??= ['IPv4'];
    spec['ipFamilyPolicy'] ??= 'SingleStack';
    if (!needsNodePorts(spec)) return [];
    const { causes, added } = this.allocateNodePorts(spec);
    if (causes.length > 0) {
      for (const port of added) this.nodePorts.delete(port);
      if (spec['clusterIP'] !== 'None') this.ips.release(String(spec['clusterIP']));
    }
    return causes;
  }

  /** Carry the allocated addresses of `old` into `next` (they are immutable); returns the problems. */
  keep(old: JsonObject, next: JsonObject): FieldCause[] {
    const before = asObject(old['spec']);
    const after = asObject(next['spec']);
    if ((before['type'] === 'ExternalName') !== (after['type'] === 'ExternalName')) {
      const causes = this.allocate(next);
      if (causes.length === 0) this.release(old);
      return causes;
    }
    if (after['type'] === 'ExternalName') return [];
    const wanted = asString(after['clusterIP']) ?? '';
    if (wanted !== '' && wanted !== before['clusterIP']) {
      return [{ field: 'spec.clusterIPs[0]', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify([wanted])}: may not change once set` }];
    }
    after['clusterIP'] = before['clusterIP'] ?? '';
    after['clusterIPs'] = before['clusterIPs'] ?? [after['clusterIP']];
    after['ipFamilies'] ??= before['ipFamilies'] ?? ['IPv4'];
    after['ipFamilyPolicy'] ??= before['ipFamilyPolicy'] ?? 'SingleStack';
    if (needsNodePorts(after)) {
      const oldPorts = new Map<string, number>();
      for (const p of asArray(before['ports'])) if (isObject(p) && typeof p['nodePort'] === 'number') oldPorts.set(`${String(p['port'])}/${String(p['protocol'])}`, p['nodePort']);
      for (const p of asArray(after['ports'])) {
        const kept = isObject(p) ? oldPorts.get(`${String(p['port'])}/${String(p['protocol'])}`) : undefined;
        if (isObject(p) && p['nodePort'] === undefined && kept !== undefined) p['nodePort'] = kept;
      }
      const { causes, added } = this.allocateNodePorts(after, oldPorts);
      if (causes.length > 0) {
        for (const port of added) this.nodePorts.delete(port);
        return causes;
      }
    }
    const stillUsed = new Set(asArray(after['ports']).map((p) => (isObject(p) ? p['nodePort'] : undefined)));
    for (const p of asArray(before['ports'])) if (isObject(p) && typeof p['nodePort'] === 'number' && !stillUsed.has(p['nodePort'])) this.nodePorts.delete(p['nodePort']);
    return [];
  }

  /** Capture ClusterIP and NodePort allocations; the returned function puts them back (for dry runs). */
  snapshot(): () => void {
    const ips = this.ips.snapshot();
    const ports = new Set(this.nodePorts);
    return () => {
      ips();
      this.nodePorts.clear();
      for (const p of ports) this.nodePorts.add(p);
    };
  }

  /** Give back the addresses of a deleted service. */
  release(service: JsonObject): void {
    const spec = asObject(service['spec']);
    const ip = asString(spec['clusterIP']);
    if (ip && ip !== 'None') this.ips.release(ip);
    for (const p of asArray(spec['ports'])) if (isObject(p) && typeof p['nodePort'] === 'number') this.nodePorts.delete(p['nodePort']);
  }

  private allocateNodePorts(spec: JsonObject, owned = new Map<string, number>()): { causes: FieldCause[]; added: number[] } {
    const causes: FieldCause[] = [];
    const added: number[] = [];
    const mine = new Set(owned.values());
    asArray(spec['ports']).forEach((p, i) => {
      if (!isObject(p)) return;
      const given = p['nodePort'];
      if (typeof given === 'number') {
        if (mine.has(given)) return;
        if (given < NODE_PORT_MIN || given > NODE_PORT_MAX) {
          causes.push({ field: `spec.ports[${i}].nodePort`, reason: 'FieldValueInvalid', message: `Invalid value: ${given}: provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}` });
        } else if (this.nodePorts.has(given)) {
          causes.push({ field: `spec.ports[${i}].nodePort`, reason: 'FieldValueInvalid', message: `Invalid value: ${given}: provided port is already allocated` });
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
