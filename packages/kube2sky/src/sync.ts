import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { Logger } from '@kube-dns-legacy/processkit';
import { ApiStatusError, getJson } from './api.js';
import type { Metrics } from './metrics.js';
import type { Reconciler } from './reconcile.js';
import { readyFromEndpoints, readyFromSlices, SERVICE_NAME_LABEL, type ReadyEndpoints } from './records/endpoints.js';
import { podRecords } from './records/pod.js';
import { isHeadless, serviceRecords } from './records/service.js';
import type {
  ConfigMapLike,
  EndpointSliceLike,
  EndpointsLike,
  PodLike,
  RecordContext,
  RecordSet,
  ServiceLike,
} from './records/types.js';
import { projectEndpoints, projectService, projectSlice } from './project.js';
import { versionRecords } from './records/version.js';
import { dnsConfigRecords } from './records/dns-config.js';
import { SliceIndex } from './slice-index.js';
import { WarnLimiter } from './warn-limiter.js';
import { objectId, ResourceWatch, type ChangeType } from './watch.js';

/** What the sync controller needs. */
export interface SyncOptions {
  readonly kubeConfig: KubeConfig;
  readonly ctx: RecordContext;
  readonly reconciler: Reconciler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly useEndpointSlices: boolean;
  readonly podRecords: boolean;
  readonly watchTimeoutSeconds: number;
  /** The kube-dns ConfigMap whose stubDomains and upstreamNameservers are mirrored into etcd; undefined: none. */
  readonly dnsConfigMap?: { readonly namespace: string; readonly name: string };
}

/** The reconciler owner of the records mirrored from the kube-dns ConfigMap. */
const DNS_CONFIG_OWNER = 'dns-config';

/** True when the API server serves discovery.k8s.io/v1 EndpointSlices; false on 404; throws on other errors. */
export async function servesEndpointSlices(kubeConfig: KubeConfig, timeoutMs = 30_000): Promise<boolean> {
  try {
    const group = (await getJson(kubeConfig, '/apis/discovery.k8s.io/v1', 'API discovery', timeoutMs)) as {
      resources?: Array<{ name?: string }>;
    };
    return (group.resources ?? []).some((r) => r.name === 'endpointslices');
  } catch (err) {
    if (err instanceof ApiStatusError && err.statusCode === 404) return false;
    throw err;
  }
}

/**
 * Feeds object changes into the reconciler: services with their endpoints (or EndpointSlices) as
 * one owner each, pods as another, the dns-version record; tells it when every initial list is in.
 * It keeps only what records are rebuilt from when another object changes: headless services and
 * the (projected) Endpoints or EndpointSlices; every other object lives on only as its records.
 */
export class SyncController {
  private readonly watches: ResourceWatch[] = [];
  /** Headless services (`namespace/name`), projected: their records depend on their endpoints. */
  private readonly headless = new Map<string, ServiceLike>();
  /** Endpoints (`namespace/name`) or EndpointSlices (`namespace/slice`), projected. */
  private readonly endpoints = new Map<string, EndpointsLike>();
  private readonly slices = new Map<string, EndpointSliceLike>();
  private readonly sliceIndex = new SliceIndex();
  /** The data of the kube-dns ConfigMap last applied (JSON), to log only changes. */
  private dnsConfigApplied: string | undefined;
  /** Warnings about objects, rate-limited (each is still counted in `kube2sky_errors_total{kind="object"}`). */
  private readonly warnings: WarnLimiter;

  constructor(private readonly options: SyncOptions) {
    this.warnings = new WarnLimiter(options.logger);
    const common = {
      kubeConfig: options.kubeConfig,
      logger: options.logger,
      metrics: options.metrics,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      onListed: () => this.listed(),
    };
    if (options.useEndpointSlices) {
      this.watches.push(
        new ResourceWatch({
          ...common,
          resource: 'endpointslices',
          path: '/apis/discovery.k8s.io/v1/endpointslices',
          onChange: (type, slice) => this.sliceChanged(type, slice as EndpointSliceLike),
          onRelisted: (seen) =>
            this.forgetUnseen(this.slices, seen, (id) => this.sliceChanged('delete', this.slices.get(id) ?? {})),
        }),
      );
    } else {
      this.watches.push(
        new ResourceWatch({
          ...common,
          resource: 'endpoints',
          path: '/api/v1/endpoints',
          onChange: (type, ep) => this.endpointsChanged(type, ep as EndpointsLike),
          onRelisted: (seen) =>
            this.forgetUnseen(this.endpoints, seen, (id) =>
              this.endpointsChanged('delete', this.endpoints.get(id) ?? {}),
            ),
        }),
      );
    }
    this.watches.push(
      new ResourceWatch({
        ...common,
        resource: 'services',
        path: '/api/v1/services',
        onChange: (type, svc) => this.serviceChanged(type, svc as ServiceLike),
        onRelisted: (seen) => this.forgetUnseen(this.headless, seen, (id) => this.serviceGone(id), 'svc/'),
      }),
    );
    const cm = options.dnsConfigMap;
    if (cm !== undefined) {
      this.watches.push(
        new ResourceWatch({
          ...common,
          resource: 'configmaps',
          path: `/api/v1/namespaces/${encodeURIComponent(cm.namespace)}/configmaps`,
          fieldSelector: `metadata.name=${cm.name}`,
          onChange: (type, object) => this.dnsConfigChanged(type, object as ConfigMapLike),
          onRelisted: (seen) => {
            if (!seen.has(`${cm.namespace}/${cm.name}`)) this.dnsConfigGone();
          },
        }),
      );
    }
    if (options.podRecords) {
      this.watches.push(
        new ResourceWatch({
          ...common,
          resource: 'pods',
          path: '/api/v1/pods',
          onChange: (type, pod) => this.podChanged(type, pod as PodLike),
          onRelisted: (seen) =>
            this.forgetUnseen(undefined, seen, (id) => this.options.reconciler.remove(`pod/${id}`), 'pod/'),
        }),
      );
    }
  }

  /** Publish the dns-version record and start every watch. */
  start(): void {
    this.options.reconciler.update('dns-version', versionRecords(this.options.ctx).records);
    for (const watch of this.watches) watch.start();
  }

  /** Stop every watch. */
  async stop(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  /** Per-resource watch health, for /healthz. */
  health(): Record<string, boolean> {
    return Object.fromEntries(this.watches.map((w) => [w.resource, w.healthy]));
  }

  private listed(): void {
    if (this.watches.every((w) => w.hasListed)) this.options.reconciler.markSynced();
  }

  /** After a re-list: `gone(id)` for every object known (in `cache`, or as a reconciler owner `<ownerPrefix><id>`) but not seen. */
  private forgetUnseen(
    cache: ReadonlyMap<string, unknown> | undefined,
    seen: ReadonlySet<string>,
    gone: (id: string) => void,
    ownerPrefix?: string,
  ): void {
    const known = new Set(cache?.keys());
    if (ownerPrefix !== undefined)
      for (const owner of this.options.reconciler.owners(ownerPrefix)) known.add(owner.slice(ownerPrefix.length));
    for (const id of known) if (!seen.has(id)) gone(id);
  }

  private apply(owner: string, what: string, result: RecordSet): void {
    for (const warning of result.warnings) {
      this.options.metrics.errors.inc({ kind: 'object' });
      this.warnings.warn(warning, { object: what });
    }
    this.options.reconciler.update(owner, result.records);
  }

  private serviceChanged(type: ChangeType, raw: ServiceLike): void {
    const id = objectId(raw);
    if (type === 'delete') {
      this.serviceGone(id);
      return;
    }
    const service = projectService(raw);
    if (isHeadless(service)) this.headless.set(id, service);
    else this.headless.delete(id);
    this.refreshService(id, service);
  }

  private serviceGone(id: string): void {
    this.headless.delete(id);
    this.options.reconciler.remove(`svc/${id}`);
  }

  /** Rebuild the records of service `namespace/name`: given, or (headless) from the cache; a service not cached is not headless, so its endpoints do not matter. */
  private refreshService(id: string, given?: ServiceLike): void {
    const service = given ?? this.headless.get(id);
    if (service === undefined) return;
    const namespace = service.metadata?.namespace ?? '';
    const name = service.metadata?.name ?? '';
    let ready: ReadyEndpoints | undefined;
    if (isHeadless(service)) {
      if (this.options.useEndpointSlices) {
        ready = readyFromSlices(
          this.sliceIndex.slices(namespace, name).flatMap((slice) => this.slices.get(`${namespace}/${slice}`) ?? []),
        );
      } else {
        const endpoints = this.endpoints.get(id);
        ready = endpoints === undefined ? undefined : readyFromEndpoints(endpoints);
      }
    }
    this.apply(`svc/${id}`, `service ${id}`, serviceRecords(this.options.ctx, service, ready));
  }

  private endpointsChanged(type: ChangeType, raw: EndpointsLike): void {
    const id = objectId(raw);
    if (type === 'delete') this.endpoints.delete(id);
    else this.endpoints.set(id, projectEndpoints(raw));
    this.refreshService(id);
  }

  private sliceChanged(type: ChangeType, raw: EndpointSliceLike): void {
    const namespace = raw.metadata?.namespace ?? '';
    const id = objectId(raw);
    let now: string | undefined;
    if (type === 'delete') {
      this.slices.delete(id);
    } else {
      const slice = projectSlice(raw);
      this.slices.set(id, slice);
      now = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    }
    const before = this.sliceIndex.set(namespace, raw.metadata?.name ?? '', now);
    if (before !== undefined && before !== now) this.refreshService(`${namespace}/${before}`);
    if (now !== undefined) this.refreshService(`${namespace}/${now}`);
  }

  /**
   * The kube-dns ConfigMap was listed, added or changed: its stub domains and upstream nameservers
   * replace the records mirrored so far; invalid content is logged and counted, and the last valid
   * records stay (as kube-dns keeps its last valid configuration).
   */
  private dnsConfigChanged(type: ChangeType, cm: ConfigMapLike): void {
    if (type === 'delete') {
      this.dnsConfigGone();
      return;
    }
    const { ctx, logger, metrics, reconciler } = this.options;
    const what = `configmap ${objectId(cm)}`;
    const data = JSON.stringify(cm.data ?? {});
    const result = dnsConfigRecords(ctx, cm.data ?? undefined);
    if ('error' in result) {
      metrics.errors.inc({ kind: 'configmap' });
      this.warnings.warn('kube-dns ConfigMap refused; the last valid configuration stays in force', {
        object: what,
        error: result.error,
      });
      return;
    }
    reconciler.update(DNS_CONFIG_OWNER, result.records);
    if (data !== this.dnsConfigApplied)
      logger.info('kube-dns ConfigMap applied', {
        object: what,
        stub_domains: result.stubDomains,
        upstream_nameservers: result.upstreams,
        keys: result.records.size,
      });
    this.dnsConfigApplied = data;
  }

  /** The kube-dns ConfigMap is gone: its records go too. */
  private dnsConfigGone(): void {
    if (this.dnsConfigApplied !== undefined)
      this.options.logger.info('kube-dns ConfigMap deleted; removing its stub domains and upstream nameservers');
    this.dnsConfigApplied = undefined;
    this.options.reconciler.remove(DNS_CONFIG_OWNER);
  }

  private podChanged(type: ChangeType, pod: PodLike): void {
    const id = objectId(pod);
    if (type === 'delete') this.options.reconciler.remove(`pod/${id}`);
    else this.apply(`pod/${id}`, `pod ${id}`, podRecords(this.options.ctx, pod));
  }
}
