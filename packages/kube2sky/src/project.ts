import { HOSTNAMES_MAP_ANNOTATION, SERVICE_NAME_LABEL } from './records/endpoints.js';
import type { EndpointSliceLike, EndpointsLike, ObjectMeta, PortLike, ServiceLike } from './records/types.js';

/*
 * kube2sky keeps headless services and endpoints to rebuild records when a related object changes;
 * these keep only what the records read (name, namespace and the record fields), not whole objects.
 */

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function meta(m: ObjectMeta | undefined, annotation?: string, label?: string): ObjectMeta {
  const annotationValue = annotation === undefined ? undefined : m?.annotations?.[annotation];
  const labelValue = label === undefined ? undefined : m?.labels?.[label];
  return defined({
    name: m?.name,
    namespace: m?.namespace,
    annotations:
      annotation !== undefined && annotationValue !== undefined ? { [annotation]: annotationValue } : undefined,
    labels: label !== undefined && labelValue !== undefined ? { [label]: labelValue } : undefined,
  });
}

function ports(list: PortLike[] | null | undefined): PortLike[] | undefined {
  return list?.map((p) => defined({ name: p.name, protocol: p.protocol, port: p.port }));
}

/** A Service reduced to what its records depend on. */
export function projectService(s: ServiceLike): ServiceLike {
  const spec = s.spec;
  return {
    metadata: meta(s.metadata),
    spec: defined({
      type: spec?.type,
      clusterIP: spec?.clusterIP,
      clusterIPs: spec?.clusterIPs,
      externalName: spec?.externalName,
      ports: ports(spec?.ports),
    }),
  };
}

/** An Endpoints object reduced to its ready addresses, ports and the hostnames-map annotation. */
export function projectEndpoints(e: EndpointsLike): EndpointsLike {
  return defined({
    metadata: meta(e.metadata, HOSTNAMES_MAP_ANNOTATION),
    subsets: e.subsets?.map((s) =>
      defined({
        addresses: s.addresses?.map((a) => defined({ ip: a.ip, hostname: a.hostname })),
        ports: ports(s.ports),
      }),
    ),
  });
}

/** An EndpointSlice reduced to its service label, address type, ready endpoints (first address, hostname) and ports. */
export function projectSlice(s: EndpointSliceLike): EndpointSliceLike {
  return defined({
    metadata: meta(s.metadata, undefined, SERVICE_NAME_LABEL),
    addressType: s.addressType,
    // Only ready (or unknown) endpoints, and only the address records use: the rest is never read.
    endpoints: s.endpoints
      ?.filter((e) => e.conditions?.ready !== false)
      .map((e) => defined({ addresses: e.addresses?.slice(0, 1), hostname: e.hostname })),
    ports: ports(s.ports),
  });
}
