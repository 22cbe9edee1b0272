import { ipProblem } from './values.js';
import type { EndpointSliceLike, EndpointsLike, PortLike } from './types.js';

/** The annotation of Kubernetes v1.2 that maps endpoint IPs to hostnames (`{"10.0.0.5":{"HostName":"web-0"}}`). */
export const HOSTNAMES_MAP_ANNOTATION = 'endpoints.beta.kubernetes.io/hostnames-map';

/** The EndpointSlice label naming the service a slice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** One ready endpoint address: its IP and, when known, its hostname (not yet validated). */
export interface ReadyAddress {
  readonly ip: string;
  readonly hostname?: string;
}

/** Ready addresses that share one port list (an Endpoints subset or an EndpointSlice). */
export interface EndpointGroup {
  readonly addresses: ReadyAddress[];
  readonly ports: PortLike[];
}

/** The ready endpoints of a headless service, with warnings about input that was skipped. */
export interface ReadyEndpoints {
  readonly groups: EndpointGroup[];
  readonly warnings: string[];
}

function parseHostnamesMap(annotations: Record<string, string> | undefined, warnings: string[]): Map<string, string> {
  const raw = annotations?.[HOSTNAMES_MAP_ANNOTATION];
  const map = new Map<string, string>();
  if (raw === undefined) return map;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    warnings.push(`annotation ${HOSTNAMES_MAP_ANNOTATION} is not valid JSON; hash labels are used instead`);
    return map;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    warnings.push(`annotation ${HOSTNAMES_MAP_ANNOTATION} is not a JSON object; hash labels are used instead`);
    return map;
  }
  for (const [ip, entry] of Object.entries(parsed)) {
    const hostname: unknown =
      entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>)['HostName'] : undefined;
    if (typeof hostname === 'string') map.set(ip, hostname);
    else
      warnings.push(
        `annotation ${HOSTNAMES_MAP_ANNOTATION}: entry for ${JSON.stringify(ip)} has no string HostName; ignored`,
      );
  }
  return map;
}

/** Ready addresses of a core/v1 Endpoints object; the address `hostname` field wins over the hostnames-map annotation. */
export function readyFromEndpoints(endpoints: EndpointsLike): ReadyEndpoints {
  const warnings: string[] = [];
  const hostnames = parseHostnamesMap(endpoints.metadata?.annotations, warnings);
  const groups: EndpointGroup[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const addresses: ReadyAddress[] = [];
    for (const address of subset.addresses ?? []) {
      const ip = address.ip ?? '';
      const problem = ipProblem(ip);
      if (problem !== undefined) {
        warnings.push(`endpoint address ${JSON.stringify(ip)} is ${problem}; skipped`);
        continue;
      }
      const hostname = address.hostname || hostnames.get(ip);
      addresses.push(hostname === undefined ? { ip } : { ip, hostname });
    }
    if (addresses.length > 0) groups.push({ addresses, ports: subset.ports ?? [] });
  }
  return { groups, warnings };
}

/** Ready addresses of the EndpointSlices of one service (IPv4 and IPv6 slices; FQDN slices are skipped). */
export function readyFromSlices(slices: readonly EndpointSliceLike[]): ReadyEndpoints {
  const warnings: string[] = [];
  const groups: EndpointGroup[] = [];
  const ordered = [...slices].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const slice of ordered) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') {
      if (slice.addressType !== 'FQDN')
        warnings.push(
          `EndpointSlice ${slice.metadata?.name ?? '?'} has address type ${JSON.stringify(slice.addressType)}; skipped`,
        );
      continue;
    }
    const addresses: ReadyAddress[] = [];
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      const ip = endpoint.addresses?.[0] ?? '';
      const problem = ipProblem(ip);
      if (problem !== undefined) {
        warnings.push(
          `EndpointSlice ${slice.metadata?.name ?? '?'}: address ${JSON.stringify(ip)} is ${problem}; skipped`,
        );
        continue;
      }
      addresses.push(endpoint.hostname ? { ip, hostname: endpoint.hostname } : { ip });
    }
    if (addresses.length > 0) groups.push({ addresses, ports: slice.ports ?? [] });
  }
  return { groups, warnings };
}
