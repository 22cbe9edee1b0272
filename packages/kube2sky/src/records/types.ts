/** Where records go: the cluster domain (lower-case, fully qualified) and the etcd prefix. */
export interface RecordContext {
  /** The cluster domain, e.g. `cluster.local.`. */
  readonly domain: string;
  /** The etcd path prefix, e.g. `skydns`. */
  readonly prefix: string;
  /**
   * True when kube2sky mirrors the kube-dns ConfigMap (`--config-map`): it then owns the upstream
   * keys and the stub leaves named by a number, and deletes those no ConfigMap wants.
   */
  readonly dnsConfig?: boolean;
}

/** The records one object wants (etcd key → encoded value) and what was odd about the object. */
export interface RecordSet {
  /** Desired etcd keys and their exact values. */
  readonly records: Map<string, string>;
  /** Human-readable warnings about input that was skipped or fell back. */
  readonly warnings: string[];
}

/** The object metadata the record builders read. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  resourceVersion?: string;
}

/** A service port (Service spec, Endpoints subset or EndpointSlice). */
export interface PortLike {
  name?: string;
  protocol?: string;
  port?: number;
}

/** The parts of a core/v1 Service that shape its records. */
export interface ServiceLike {
  metadata?: ObjectMeta;
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: PortLike[];
  };
}

/** The parts of a core/v1 Endpoints object that shape headless records. */
export interface EndpointsLike {
  metadata?: ObjectMeta;
  subsets?: Array<{
    addresses?: Array<{ ip?: string; hostname?: string }>;
    ports?: PortLike[];
  }>;
}

/** The parts of a discovery.k8s.io/v1 EndpointSlice that shape headless records. */
export interface EndpointSliceLike {
  metadata?: ObjectMeta;
  addressType?: string;
  endpoints?: Array<{
    addresses?: string[];
    hostname?: string;
    conditions?: { ready?: boolean | null };
  }>;
  ports?: PortLike[] | null;
}

/** The parts of a core/v1 Pod that shape its records. */
/** The parts of a core/v1 ConfigMap kube2sky reads (the kube-dns ConfigMap). */
export interface ConfigMapLike {
  metadata?: ObjectMeta;
  data?: Record<string, string> | null;
}

/** The parts of a core/v1 Pod that shape its records. */
export interface PodLike {
  metadata?: ObjectMeta;
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: Array<{ ip?: string }>;
  };
}
