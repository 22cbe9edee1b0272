import assert from 'node:assert/strict';
import { test } from 'node:test';
import { projectEndpoints, projectService, projectSlice } from './project.js';
import { HOSTNAMES_MAP_ANNOTATION, readyFromEndpoints, readyFromSlices } from './records/endpoints.js';
import { serviceRecords } from './records/service.js';
import type { EndpointSliceLike, EndpointsLike, ServiceLike } from './records/types.js';

const ctx = { domain: 'cluster.local.', prefix: 'skydns' };
const bulky = {
  managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }],
  uid: 'u',
  creationTimestamp: '2024-01-01T00:00:00Z',
};

test('projected objects give the same records and keep only what records read', () => {
  const svc = {
    metadata: {
      name: 'web',
      namespace: 'default',
      resourceVersion: '7',
      labels: { app: 'web' },
      annotations: { note: 'x'.repeat(1000) },
      ...bulky,
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.0.0.10',
      clusterIPs: ['10.0.0.10'],
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
      selector: { app: 'web' },
      sessionAffinity: 'None',
    },
    status: { loadBalancer: {} },
  } as unknown as ServiceLike;
  const p = projectService(svc);
  assert.deepEqual(p, {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.0.0.10',
      clusterIPs: ['10.0.0.10'],
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    },
  });
  assert.deepEqual(serviceRecords(ctx, p, undefined), serviceRecords(ctx, svc, undefined));

  const ep = {
    metadata: {
      name: 'web',
      namespace: 'default',
      resourceVersion: '8',
      annotations: { [HOSTNAMES_MAP_ANNOTATION]: '{"10.244.1.5":{"HostName":"web-0"}}', other: 'y' },
      ...bulky,
    },
    subsets: [
      {
        addresses: [{ ip: '10.244.1.5', nodeName: 'n1', targetRef: { kind: 'Pod', name: 'web-0' } }],
        notReadyAddresses: [{ ip: '10.244.9.9' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
      },
    ],
  } as unknown as EndpointsLike;
  const pe = projectEndpoints(ep);
  assert.deepEqual(pe.metadata, {
    name: 'web',
    namespace: 'default',
    annotations: { [HOSTNAMES_MAP_ANNOTATION]: '{"10.244.1.5":{"HostName":"web-0"}}' },
  });
  assert.equal(JSON.stringify(pe).includes('10.244.9.9'), false);
  const headless: ServiceLike = { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: 'None' } };
  assert.deepEqual(
    serviceRecords(ctx, headless, readyFromEndpoints(pe)),
    serviceRecords(ctx, headless, readyFromEndpoints(ep)),
  );

  const slice = {
    metadata: {
      name: 'web-x',
      namespace: 'default',
      resourceVersion: '9',
      labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'c' },
      ...bulky,
    },
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: ['10.244.1.5'],
        hostname: 'web-0',
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: 'n1',
        zone: 'z',
      },
      { addresses: ['10.244.2.7'], conditions: { ready: false } },
    ],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  } as unknown as EndpointSliceLike;
  const ps = projectSlice(slice);
  assert.deepEqual(ps.metadata, {
    name: 'web-x',
    namespace: 'default',
    labels: { 'kubernetes.io/service-name': 'web' },
  });
  assert.deepEqual(
    ps.endpoints,
    [{ addresses: ['10.244.1.5'], hostname: 'web-0' }],
    'the endpoint that is not ready is dropped',
  );
  assert.deepEqual(
    serviceRecords(ctx, headless, readyFromSlices([ps])),
    serviceRecords(ctx, headless, readyFromSlices([slice])),
  );
});
