import { dnsNameProblem, isDnsLabel, nameToKey, reverseName } from '@kube-dns-legacy/skymsg';
import type { ReadyEndpoints } from './endpoints.js';
import { hashLabel, hostValue, keyIn, nameIn, srvValue } from './names.js';
import { externalNameProblem, ipProblem, isPortNumber } from './values.js';
import type { PortLike, RecordContext, RecordSet, ServiceLike } from './types.js';

/** True when the service has no cluster IP (`None` or empty) and is not an ExternalName: records come from endpoints. */
export function isHeadless(service: ServiceLike): boolean {
  if (service.spec?.type === 'ExternalName') return false;
  const ip = service.spec?.clusterIP ?? '';
  return ip === '' || ip === 'None';
}

interface Builder {
  readonly ctx: RecordContext;
  readonly name: string;
  readonly namespace: string;
  readonly records: Map<string, string>;
  readonly warnings: string[];
}

/** The SRV port name and lower-case protocol of a named port with a number, or undefined (with a warning when odd). */
function namedPort(b: Builder, port: PortLike): { name: string; protocol: string; port: number } | undefined {
  if (!port.name) return undefined;
  const protocol = (port.protocol || 'TCP').toLowerCase();
  if (!isPortNumber(port.port)) {
    b.warnings.push(
      `port ${JSON.stringify(port.name)}: ${JSON.stringify(port.port ?? null)} is not a port number (1-65535); no SRV record`,
    );
    return undefined;
  }
  if (dnsNameProblem(`_${port.name}._${protocol}.${nameIn(b.ctx, b.name, b.namespace, 'svc')}`) !== undefined) {
    b.warnings.push(`port name ${JSON.stringify(port.name)} does not fit in a DNS name; no SRV record`);
    return undefined;
  }
  return { name: port.name, protocol, port: port.port };
}

function setOnce(b: Builder, key: string, value: string): void {
  if (!b.records.has(key)) b.records.set(key, value);
}

function ptr(b: Builder, ip: string, target: string): void {
  setOnce(b, nameToKey(reverseName(ip), b.ctx.prefix), hostValue(target));
}

function clusterIPRecords(b: Builder, service: ServiceLike): void {
  const spec = service.spec ?? {};
  const candidates =
    spec.clusterIPs !== undefined && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? ''];
  const ips = candidates.filter((ip) => {
    const problem = ipProblem(ip);
    if (problem === undefined) return true;
    b.warnings.push(`cluster IP ${JSON.stringify(ip)} is ${problem}; skipped`);
    return false;
  });
  const serviceName = nameIn(b.ctx, b.name, b.namespace, 'svc');
  for (const ip of ips) {
    b.records.set(keyIn(b.ctx, hashLabel(ip), b.name, b.namespace, 'svc'), hostValue(ip));
    ptr(b, ip, serviceName);
  }
  const primary = ips[0];
  if (primary === undefined) return;
  const label = hashLabel(primary);
  for (const port of spec.ports ?? []) {
    const named = namedPort(b, port);
    if (named === undefined) continue;
    setOnce(
      b,
      keyIn(b.ctx, label, `_${named.name}`, `_${named.protocol}`, b.name, b.namespace, 'svc'),
      srvValue(serviceName, named.port),
    );
  }
}

function externalNameRecords(b: Builder, service: ServiceLike): void {
  const target = service.spec?.externalName ?? '';
  const problem = externalNameProblem(target);
  if (problem !== undefined) {
    b.warnings.push(`external name ${JSON.stringify(target)} is not a DNS name (${problem}); no record`);
    return;
  }
  b.records.set(keyIn(b.ctx, hashLabel(target), b.name, b.namespace, 'svc'), hostValue(target));
}

function headlessRecords(b: Builder, endpoints: ReadyEndpoints | undefined): void {
  if (endpoints === undefined) return;
  b.warnings.push(...endpoints.warnings);
  const ipByLabel = new Map<string, string>();
  for (const group of endpoints.groups) {
    for (const address of group.addresses) {
      let label = hashLabel(address.ip);
      let named = false;
      if (address.hostname !== undefined) {
        if (!isDnsLabel(address.hostname)) {
          b.warnings.push(
            `hostname ${JSON.stringify(address.hostname)} of ${address.ip} is not a DNS-1123 label; hash label used`,
          );
        } else if ((ipByLabel.get(address.hostname) ?? address.ip) !== address.ip) {
          b.warnings.push(
            `hostname ${JSON.stringify(address.hostname)} is used by ${ipByLabel.get(address.hostname) ?? '?'} and ${address.ip}; hash label used for ${address.ip}`,
          );
        } else {
          label = address.hostname;
          named = true;
        }
      }
      ipByLabel.set(label, address.ip);
      setOnce(b, keyIn(b.ctx, label, b.name, b.namespace, 'svc'), hostValue(address.ip));
      const target = nameIn(b.ctx, label, b.name, b.namespace, 'svc');
      if (named) ptr(b, address.ip, target);
      for (const port of group.ports) {
        const np = namedPort(b, port);
        if (np === undefined) continue;
        setOnce(
          b,
          keyIn(b.ctx, label, `_${np.name}`, `_${np.protocol}`, b.name, b.namespace, 'svc'),
          srvValue(target, np.port),
        );
      }
    }
  }
}

/**
 * The records of one service: ClusterIP → A/AAAA per cluster IP, SRV per named port and PTR;
 * ExternalName → one CNAME-style record; headless → A/AAAA and SRV per ready endpoint (PTR for
 * named endpoints). `endpoints` is only read for headless services (undefined: none known yet).
 */
export function serviceRecords(
  ctx: RecordContext,
  service: ServiceLike,
  endpoints: ReadyEndpoints | undefined,
): RecordSet {
  const name = service.metadata?.name ?? '';
  const namespace = service.metadata?.namespace ?? '';
  const b: Builder = { ctx, name, namespace, records: new Map(), warnings: [] };
  if (!isDnsLabel(name) || !isDnsLabel(namespace)) {
    b.warnings.push(`service ${namespace}/${name}: name and namespace must be DNS-1123 labels; no records`);
    return b;
  }
  if (service.spec?.type === 'ExternalName') externalNameRecords(b, service);
  else if (isHeadless(service)) headlessRecords(b, endpoints);
  else clusterIPRecords(b, service);
  return { records: b.records, warnings: b.warnings };
}
