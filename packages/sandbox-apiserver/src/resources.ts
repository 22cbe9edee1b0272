/** What the server knows about one kind of object: where it lives in the API and how it is discovered. */
export interface ResourceDef {
  /** Plural resource name in URLs, such as `services`. */
  readonly plural: string;
  /** Singular name for discovery. */
  readonly singular: string;
  /** Kind, such as `Service`. */
  readonly kind: string;
  /** API group; '' for core. */
  readonly group: string;
  /** API version within the group. */
  readonly version: string;
  /** Whether objects live in a namespace. */
  readonly namespaced: boolean;
  /** kubectl short names. */
  readonly shortNames: readonly string[];
  /** Whether the `/status` subresource exists. */
  readonly statusSubresource: boolean;
  /** Whether PUT of a missing object creates it (true for Endpoints and Leases, as the real server). */
  readonly createOnUpdate: boolean;
  /** Whether a PUT without `metadata.resourceVersion` is an unconditional update (false for Leases: 422 instead). */
  readonly allowUnconditionalUpdate: boolean;
  /** Whether DELETE answers with the deleted object (true) or a Success Status (false). */
  readonly deleteReturnsObject: boolean;
  /** Field paths that `fieldSelector` accepts besides metadata.name and metadata.namespace. */
  readonly selectableFields: readonly string[];
  /** kubectl categories. */
  readonly categories: readonly string[];
}

/** The `apiVersion` string of a resource: `v1` or `group/version`. */
export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** The verbs every served resource supports. */
export const VERBS: readonly string[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** core/v1 namespaces. */
export const NAMESPACES: ResourceDef = {
  plural: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  group: '',
  version: 'v1',
  namespaced: false,
  shortNames: ['ns'],
  statusSubresource: true,
  createOnUpdate: false,
  allowUnconditionalUpdate: true,
  deleteReturnsObject: true,
  selectableFields: ['status.phase'],
  categories: [],
};

/** core/v1 services. */
export const SERVICES: ResourceDef = {
  plural: 'services',
  singular: 'service',
  kind: 'Service',
  group: '',
  version: 'v1',
  namespaced: true,
  shortNames: ['svc'],
  statusSubresource: true,
  createOnUpdate: false,
  allowUnconditionalUpdate: true,
  deleteReturnsObject: true,
  selectableFields: ['spec.clusterIP', 'spec.type'],
  categories: ['all'],
};

/** core/v1 endpoints. */
export const ENDPOINTS: ResourceDef = {
  plural: 'endpoints',
  singular: 'endpoints',
  kind: 'Endpoints',
  group: '',
  version: 'v1',
  namespaced: true,
  shortNames: ['ep'],
  statusSubresource: false,
  createOnUpdate: true,
  allowUnconditionalUpdate: true,
  deleteReturnsObject: false,
  selectableFields: [],
  categories: [],
};

/** core/v1 pods. */
export const PODS: ResourceDef = {
  plural: 'pods',
  singular: 'pod',
  kind: 'Pod',
  group: '',
  version: 'v1',
  namespaced: true,
  shortNames: ['po'],
  statusSubresource: true,
  createOnUpdate: false,
  allowUnconditionalUpdate: true,
  deleteReturnsObject: true,
  selectableFields: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  categories: ['all'],
};

/** discovery.k8s.io/v1 endpointslices. */
export const ENDPOINT_SLICES: ResourceDef = {
  plural: 'endpointslices',
  singular: 'endpointslice',
  kind: 'EndpointSlice',
  group: 'discovery.k8s.io',
  version: 'v1',
  namespaced: true,
  shortNames: [],
  statusSubresource: false,
  createOnUpdate: false,
  allowUnconditionalUpdate: true,
  deleteReturnsObject: false,
  selectableFields: ['addressType'],
  categories: [],
};

/** core/v1 configmaps. */
export const CONFIG_MAPS: ResourceDef = {
  plural: 'configmaps',
  singular: 'configmap',
  kind: 'ConfigMap',
  group: '',
  version: 'v1',
  namespaced: true,
  shortNames: ['cm'],
  statusSubresource: false,
  createOnUpdate: false,
  allowUnconditionalUpdate: true,
  deleteReturnsObject: false,
  selectableFields: [],
  categories: [],
};

/** coordination.k8s.io/v1 leases (leader election); a PUT must carry the resourceVersion it read. */
export const LEASES: ResourceDef = {
  plural: 'leases',
  singular: 'lease',
  kind: 'Lease',
  group: 'coordination.k8s.io',
  version: 'v1',
  namespaced: true,
  shortNames: [],
  statusSubresource: false,
  createOnUpdate: true,
  allowUnconditionalUpdate: false,
  deleteReturnsObject: false,
  selectableFields: [],
  categories: [],
};

/** Every resource of the core group, in discovery order. */
export const CORE_RESOURCES: readonly ResourceDef[] = [CONFIG_MAPS, ENDPOINTS, NAMESPACES, PODS, SERVICES];

/** A named API group version (`/apis/<group>/<version>`) and its resources. */
export interface ApiGroupDef {
  /** The group name, such as `coordination.k8s.io`. */
  readonly group: string;
  /** The one version served. */
  readonly version: string;
  /** Its resources, in discovery order. */
  readonly resources: readonly ResourceDef[];
}

/** The named groups served: coordination.k8s.io/v1 always, discovery.k8s.io/v1 unless EndpointSlices are hidden. */
export function namedGroups(endpointSlices: boolean): readonly ApiGroupDef[] {
  const groups: ApiGroupDef[] = [{ group: LEASES.group, version: LEASES.version, resources: [LEASES] }];
  if (endpointSlices)
    groups.push({ group: ENDPOINT_SLICES.group, version: ENDPOINT_SLICES.version, resources: [ENDPOINT_SLICES] });
  return groups;
}

/** Every resource served, core first (the namespaced ones are what deleting a namespace removes). */
export function servedResources(endpointSlices: boolean): readonly ResourceDef[] {
  return [...CORE_RESOURCES, ...namedGroups(endpointSlices).flatMap((g) => g.resources)];
}
