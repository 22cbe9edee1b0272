import { CoreV1Api, DiscoveryV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { Metrics } from './metrics.js';
import type { Reconciler } from './reconcile.js';
import { readyFromEndpoints, readyFromSlices, SERVICE_NAME_LABEL, type ReadyEndpoints } from './records/endpoints.js';
import { podRecords } from './records/pod.js';
import { isHeadless, serviceRecords } from './records/service.js';
import type { EndpointSliceLike, EndpointsLike, PodLike, RecordContext, RecordSet, ServiceLike } from './records/types.js';
import { projectEndpoints, projectPod, projectService, projectSlice } from './project.js';
import { versionRecords } from './records/version.js';
import { SliceIndex } from './slice-index.js';
import { ResourceWatch, type ChangeType } from './watch.js';

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
}

type Service = ServiceLike & KubernetesObject;
type Endpoints = EndpointsLike & KubernetesObject;
type Slice = EndpointSliceLike & KubernetesObject;
type Pod = PodLike & KubernetesObject;

/** The part of a resource watch the controller drives for every resource alike. */
type AnyWatch = Pick<ResourceWatch<never>, 'start' | 'stop' | 'healthy' | 'hasListed' | 'resource'>;

/** True when the API server serves discovery.k8s.io/v1 EndpointSlices; false on 404; throws on other errors. */
export async function servesEndpointSlices(kubeConfig: KubeConfig): Promise<boolean> {
  try {
    const resources = await kubeConfig.makeApiClient(DiscoveryV1Api).getAPIResources();
    return resources.resources.some((r) => r.name === 'endpointslices');
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}

/**
 * Feeds object changes into the reconciler: services with their endpoints (or EndpointSlices) as
 * one owner each, pods as another, the dns-version record; tells it when every initial list is in.
 */
export class SyncController {
  private readonly watches: AnyWatch[] = [];
  private readonly services: ResourceWatch<Service>;
  private readonly endpoints: ResourceWatch<Endpoints> | undefined;
  private readonly slices: ResourceWatch<Slice> | undefined;
  private readonly sliceIndex = new SliceIndex();

  constructor(private readonly options: SyncOptions) {
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const common = { kubeConfig: options.kubeConfig, logger: options.logger, metrics: options.metrics, watchTimeoutSeconds: options.watchTimeoutSeconds, onListed: () => this.listed() };
    this.services = new ResourceWatch<Service>({
      ...common, resource: 'services', path: '/api/v1/services',
      list: () => core.listServiceForAllNamespaces(),
      project: projectService,
      onChange: (_type, svc) => this.refreshService(svc.metadata?.namespace ?? '', svc.metadata?.name ?? ''),
    });
    if (options.useEndpointSlices) {
      const discovery = options.kubeConfig.makeApiClient(DiscoveryV1Api);
      this.slices = new ResourceWatch<Slice>({
        ...common, resource: 'endpointslices', path: '/apis/discovery.k8s.io/v1/endpointslices',
        list: () => discovery.listEndpointSliceForAllNamespaces(),
        project: projectSlice,
        onChange: (type, slice) => this.sliceChanged(type, slice),
      });
      this.watches.push(this.slices);
    } else {
      this.endpoints = new ResourceWatch<Endpoints>({
        ...common, resource: 'endpoints', path: '/api/v1/endpoints',
        list: () => core.listEndpointsForAllNamespaces(),
        project: projectEndpoints,
        onChange: (_type, ep) => this.refreshService(ep.metadata?.namespace ?? '', ep.metadata?.name ?? ''),
      });
      this.watches.push(this.endpoints);
    }
    this.watches.push(this.services);
    if (options.podRecords) {
      this.watches.push(new ResourceWatch<Pod>({
        ...common, resource: 'pods', path: '/api/v1/pods',
        list: () => core.listPodForAllNamespaces(),
        project: projectPod,
        onChange: (type, pod) => this.podChanged(type, pod),
      }));
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

  /** True when every watch's last request succeeded. */
  get healthy(): boolean {
    return this.watches.every((w) => w.healthy);
  }

  /** Per-resource watch health, for /healthz. */
  health(): Record<string, boolean> {
    return Object.fromEntries(this.watches.map((w) => [w.resource, w.healthy]));
  }

  private listed(): void {
    if (this.watches.every((w) => w.hasListed)) this.options.reconciler.markSynced();
  }

  private apply(owner: string, what: string, result: RecordSet): void {
    for (const warning of result.warnings) {
      this.options.metrics.errors.inc({ kind: 'object' });
      this.options.logger.warn(warning, { object: what });
    }
    this.options.reconciler.update(owner, result.records);
  }

  private refreshService(namespace: string, name: string): void {
    const owner = `svc/${namespace}/${name}`;
    const service = this.services.get(name, namespace);
    if (service === undefined) {
      this.options.reconciler.remove(owner);
      return;
    }
    let ready: ReadyEndpoints | undefined;
    if (isHeadless(service)) {
      if (this.slices !== undefined) {
        const slices = this.slices;
        ready = readyFromSlices(this.sliceIndex.slices(namespace, name).flatMap((slice) => slices.get(slice, namespace) ?? []));
      } else {
        const endpoints = this.endpoints?.get(name, namespace);
        ready = endpoints === undefined ? undefined : readyFromEndpoints(endpoints);
      }
    }
    this.apply(owner, `service ${namespace}/${name}`, serviceRecords(this.options.ctx, service, ready));
  }

  private sliceChanged(type: ChangeType, slice: Slice): void {
    const namespace = slice.metadata?.namespace ?? '';
    const now = type === 'delete' ? undefined : slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const before = this.sliceIndex.set(namespace, slice.metadata?.name ?? '', now);
    if (before !== undefined && before !== now) this.refreshService(namespace, before);
    if (now !== undefined) this.refreshService(namespace, now);
  }

  private podChanged(type: ChangeType, pod: Pod): void {
    const namespace = pod.metadata?.namespace ?? '';
    const owner = `pod/${namespace}/${pod.metadata?.name ?? ''}`;
    if (type === 'delete') this.options.reconciler.remove(owner);
    else this.apply(owner, `pod ${namespace}/${pod.metadata?.name ?? ''}`, podRecords(this.options.ctx, pod));
  }
}
