import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PODS, SERVICES } from './resources.js';
import { humanAge, toTable } from './table.js';

describe('Tables for kubectl get', () => {
  it('formats ages as Kubernetes does', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    const ago = (s: number): string => new Date(now - s * 1000).toISOString();
    assert.equal(humanAge(ago(5), now), '5s');
    assert.equal(humanAge(ago(119), now), '119s');
    assert.equal(humanAge(ago(200), now), '3m20s');
    assert.equal(humanAge(ago(45 * 60), now), '45m');
    assert.equal(humanAge(ago(5 * 3600 + 60), now), '5h1m');
    assert.equal(humanAge(ago(30 * 3600), now), '30h');
    assert.equal(humanAge(ago(3 * 86400 + 4 * 3600), now), '3d4h');
    assert.equal(humanAge(ago(200 * 86400), now), '200d');
    assert.equal(humanAge(undefined, now), '<unknown>');
  });

  it('renders service and pod rows with the kubectl columns and partial object metadata', () => {
    const svc = {
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        type: 'NodePort',
        clusterIP: '10.0.0.5',
        ports: [
          { port: 80, nodePort: 30001, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
        selector: { app: 'web' },
      },
    };
    const table = toTable(SERVICES, [svc], '42', 'Metadata');
    assert.equal(table['kind'], 'Table');
    assert.deepEqual(
      (table['columnDefinitions'] as { name: string }[]).map((c) => c.name),
      ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector'],
    );
    const row = (table['rows'] as { cells: unknown[]; object: { kind: string; metadata: unknown } }[])[0];
    assert.deepEqual(row?.cells.slice(0, 5), ['web', 'NodePort', '10.0.0.5', '<none>', '80:30001/TCP,53/UDP']);
    assert.equal(row?.cells[6], 'app=web');
    assert.equal(row?.object.kind, 'PartialObjectMetadata');
    assert.deepEqual(row?.object.metadata, svc.metadata);
    const pod = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: { phase: 'Running', podIP: '10.1.0.1', containerStatuses: [{ ready: true }, { ready: false }] },
    };
    const podRow = (toTable(PODS, [pod], '1', 'None', false)['rows'] as { cells: unknown[]; object: unknown }[])[0];
    assert.deepEqual(
      podRow?.cells.filter((_, i) => i !== 4),
      ['p', '1/2', 'Running', '0', '10.1.0.1', '<none>'],
    );
    assert.equal(podRow?.object, null);
  });
});
