import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';

interface WatchEvent {
  type: string;
  object: {
    kind?: string;
    code?: number;
    reason?: string;
    message?: string;
    metadata?: { name?: string; resourceVersion?: string };
  };
}

/** A raw watch stream: every line parsed as it arrives, plus whether the server ended it. */
class RawWatch {
  readonly events: WatchEvent[] = [];
  readonly lines: string[] = [];
  ended = false;
  response: IncomingMessage | undefined;
  private readonly request;

  constructor(url: string) {
    this.request = get(url, (res) => {
      this.response = res;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          this.lines.push(line);
          this.events.push(JSON.parse(line) as WatchEvent);
        }
      });
      res.on('end', () => (this.ended = true));
    });
    this.request.on('error', () => (this.ended = true));
  }

  names(type?: string): string[] {
    return this.events
      .filter((e) => type === undefined || e.type === type)
      .map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);
  }

  close(): void {
    this.request.destroy();
  }
}

async function send(
  api: SandboxApiServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const svc = (name: string): unknown => ({ metadata: { name }, spec: { ports: [{ port: 80 }] } });

describe('the watch protocol', () => {
  let api: SandboxApiServer;
  const open: RawWatch[] = [];
  const watch = (path: string): RawWatch => {
    const w = new RawWatch(`${api.url}${path}`);
    open.push(w);
    return w;
  };

  before(async () => {
    api = await SandboxApiServer.start({ historyLimit: 50, bookmarkIntervalMs: 100 });
  });
  after(async () => {
    for (const w of open) w.close();
    await api.stop();
  });

  it('streams ADDED, MODIFIED and DELETED with full objects, one JSON object per chunked line', async () => {
    const w = watch(`/api/v1/namespaces/default/services?watch=true&resourceVersion=${api.resourceVersion}`);
    await waitFor('the watch to open', () => w.response !== undefined);
    assert.equal(w.response?.statusCode, 200);
    assert.equal(w.response?.headers['transfer-encoding'], 'chunked');
    await send(api, 'POST', '/api/v1/namespaces/default/services', svc('one'));
    const patched = await fetch(`${api.url}/api/v1/namespaces/default/services/one`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { x: 'y' } } }),
    });
    assert.equal(patched.status, 200);
    await send(api, 'DELETE', '/api/v1/namespaces/default/services/one');
    await send(api, 'POST', '/api/v1/namespaces/kube-system/services', svc('elsewhere'));
    await waitFor('three events', () => w.events.length >= 3);
    assert.deepEqual(w.names(), ['ADDED one', 'MODIFIED one', 'DELETED one']);
    const added = w.events[0]?.object as { kind?: string; apiVersion?: string; spec?: { clusterIP?: string } };
    assert.equal(added.kind, 'Service');
    assert.equal(added.apiVersion, 'v1');
    assert.match(added.spec?.clusterIP ?? '', /^10\.0\.0\.\d+$/);
    const rvs = w.events.map((e) => Number(e.object.metadata?.resourceVersion));
    assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `resourceVersions grow: ${rvs.join(',')}`);
    assert.ok(w.lines.every((line) => !line.includes('\n')));
  });

  it('resumes from a resourceVersion with exactly the later changes', async () => {
    const start = api.resourceVersion;
    await send(api, 'POST', '/api/v1/namespaces/default/services', svc('r1'));
    const between = (await send(api, 'POST', '/api/v1/namespaces/default/services', svc('r2'))).json as {
      metadata: { resourceVersion: string };
    };
    await send(api, 'POST', '/api/v1/namespaces/default/services', svc('r3'));
    const fromStart = watch(`/api/v1/services?watch=1&resourceVersion=${start}`);
    const fromMiddle = watch(`/api/v1/services?watch=1&resourceVersion=${between.metadata.resourceVersion}`);
    await waitFor('the backlog', () => fromStart.events.length >= 3 && fromMiddle.events.length >= 1);
    assert.deepEqual(fromStart.names(), ['ADDED r1', 'ADDED r2', 'ADDED r3']);
    assert.deepEqual(fromMiddle.names(), ['ADDED r3']);
  });

  it('sends the current state first when resourceVersion is 0 or absent', async () => {
    const w = watch('/api/v1/namespaces/kube-system/services?watch=true');
    await waitFor('the synthetic ADDED events', () => w.events.length >= 1);
    assert.deepEqual(w.names(), ['ADDED elsewhere']);
  });

  it('filters by label selector and field selector', async () => {
    const w = watch(
      `/api/v1/services?watch=true&resourceVersion=${api.resourceVersion}&labelSelector=team%3Ddns&fieldSelector=metadata.namespace%3Dkube-system`,
    );
    await waitFor('the watch to open', () => w.response !== undefined);
    await send(api, 'POST', '/api/v1/namespaces/kube-system/services', {
      metadata: { name: 'kube-dns', labels: { team: 'dns' } },
      spec: { ports: [{ port: 53, protocol: 'UDP' }] },
    });
    await send(api, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'other-ns', labels: { team: 'dns' } },
      spec: { ports: [{ port: 53 }] },
    });
    await send(api, 'POST', '/api/v1/namespaces/kube-system/services', svc('unlabelled'));
    await send(api, 'POST', '/api/v1/namespaces/kube-system/services', {
      metadata: { name: 'last', labels: { team: 'dns' } },
      spec: { ports: [{ port: 1 }] },
    });
    await waitFor('two matching events', () => w.events.length >= 2);
    assert.deepEqual(w.names(), ['ADDED kube-dns', 'ADDED last']);
  });

  it('reports an object entering a label selection as ADDED and leaving it as DELETED', async () => {
    await send(api, 'POST', '/api/v1/namespaces/default/services', svc('mover'));
    const w = watch(`/api/v1/services?watch=true&resourceVersion=${api.resourceVersion}&labelSelector=dns%3Dyes`);
    await waitFor('the watch to open', () => w.response !== undefined);
    const label = async (value: string | null): Promise<void> => {
      const res = await fetch(`${api.url}/api/v1/namespaces/default/services/mover`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels: { dns: value } } }),
      });
      assert.equal(res.status, 200);
    };
    await label('yes');
    await fetch(`${api.url}/api/v1/namespaces/default/services/mover`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations: { a: 'b' } } }),
    });
    await label('no');
    await label(null);
    await label('yes');
    await waitFor('four events', () => w.events.length >= 4);
    assert.deepEqual(w.names(), ['ADDED mover', 'MODIFIED mover', 'DELETED mover', 'ADDED mover']);
    const left = w.events[2]?.object as { metadata?: { labels?: Record<string, string>; resourceVersion?: string } };
    assert.deepEqual(left.metadata?.labels, { dns: 'yes' }, 'DELETED carries the object as it last matched');
    assert.ok(Number(left.metadata?.resourceVersion) > Number(w.events[1]?.object.metadata?.resourceVersion));
  });

  it('answers a compacted resourceVersion with an ERROR event carrying 410 Expired', async () => {
    const old = api.resourceVersion;
    await send(api, 'POST', '/api/v1/namespaces/default/services', svc('after-old'));
    api.compact();
    const w = watch(`/api/v1/services?watch=true&resourceVersion=${old}`);
    await waitFor('the stream to end', () => w.ended);
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0]?.type, 'ERROR');
    assert.equal(w.events[0]?.object.kind, 'Status');
    assert.equal(w.events[0]?.object.code, 410);
    assert.equal(w.events[0]?.object.reason, 'Expired');
    assert.match(w.events[0]?.object.message ?? '', /too old resource version/);
    const current = watch(`/api/v1/services?watch=true&resourceVersion=${api.resourceVersion}`);
    await send(api, 'POST', '/api/v1/namespaces/default/services', svc('after-compact'));
    await waitFor('a watch from the current version to work', () => current.events.length >= 1);
    assert.deepEqual(current.names(), ['ADDED after-compact']);
  });

  it('expires versions that fell out of the bounded history', async () => {
    const old = api.resourceVersion;
    for (let i = 0; i < 55; i++) {
      await fetch(`${api.url}/api/v1/namespaces/default/services/r1`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels: { n: String(i) } } }),
      });
    }
    const w = watch(`/api/v1/services?watch=true&resourceVersion=${old}`);
    await waitFor('the ERROR event', () => w.events.length >= 1);
    assert.equal(w.events[0]?.object.code, 410);
  });

  it('sends BOOKMARK events when allowed and closes after timeoutSeconds', async () => {
    const started = Date.now();
    const w = watch(
      `/api/v1/services?watch=true&resourceVersion=${api.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    await waitFor('the stream to end', () => w.ended, 5000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 3000, `closed after ${elapsed} ms`);
    const bookmarks = w.events.filter((e) => e.type === 'BOOKMARK');
    assert.ok(bookmarks.length >= 3, `${bookmarks.length} bookmarks in a second at 100 ms`);
    assert.equal(bookmarks[0]?.object.kind, 'Service');
    assert.equal(bookmarks[0]?.object.metadata?.resourceVersion, api.resourceVersion);
    const plain = watch(`/api/v1/services?watch=true&resourceVersion=${api.resourceVersion}&timeoutSeconds=1`);
    await waitFor('the plain stream to end', () => plain.ended, 5000);
    assert.deepEqual(plain.events, [], 'no bookmarks unless asked for');
  });

  it('ends every open stream on dropWatches and answers new watches with 410 while goneOnWatch is on', async () => {
    const a = watch('/api/v1/services?watch=true');
    const b = watch('/api/v1/pods?watch=true');
    await waitFor('both open', () => a.response !== undefined && b.response !== undefined);
    api.faults.dropWatches();
    await waitFor('both ended', () => a.ended && b.ended);
    api.faults.goneOnWatch(true);
    const gone = watch(`/api/v1/services?watch=true&resourceVersion=${api.resourceVersion}`);
    await waitFor('the 410', () => gone.ended);
    assert.equal(gone.events[0]?.object.code, 410);
    api.faults.goneOnWatch(false);
  });

  it('answers every request with the failWith status and a Status body until cleared', async () => {
    api.faults.failWith(503);
    const res = await send(api, 'GET', '/api/v1/services');
    assert.equal(res.status, 503);
    assert.equal(res.json['kind'], 'Status');
    assert.equal(res.json['status'], 'Failure');
    assert.equal(res.json['code'], 503);
    assert.equal(res.json['reason'], 'ServiceUnavailable');
    api.faults.failWith(undefined);
    assert.equal((await send(api, 'GET', '/api/v1/services')).status, 200);
    assert.throws(() => api.faults.failWith(200));
  });

  it('serves the deprecated /watch/ paths, for a collection and for one object', async () => {
    const all = watch(`/api/v1/watch/namespaces/default/services?resourceVersion=${api.resourceVersion}`);
    const one = watch(`/api/v1/watch/namespaces/default/services/legacy-b?resourceVersion=${api.resourceVersion}`);
    await waitFor('both open', () => all.response !== undefined && one.response !== undefined);
    await send(api, 'POST', '/api/v1/namespaces/default/services', svc('legacy-a'));
    await send(api, 'POST', '/api/v1/namespaces/default/services', svc('legacy-b'));
    await waitFor('the events', () => all.events.length >= 2 && one.events.length >= 1);
    assert.deepEqual(all.names(), ['ADDED legacy-a', 'ADDED legacy-b']);
    assert.deepEqual(one.names(), ['ADDED legacy-b']);
  });

  it('answers a malformed path with 400 and counts requests in /metrics', async () => {
    assert.equal((await fetch(`${api.url}/api/v1/namespaces/%E0%A4%A/services`)).status, 400);
    const text = await (await fetch(`${api.url}/metrics`)).text();
    assert.match(text, /apiserver_request_total\{verb="POST",resource="services",code="201"\} \d+/);
    assert.match(text, /apiserver_request_total\{verb="WATCH",resource="services",code="200"\} \d+/);
    assert.match(text, /apiserver_request_total\{verb="PATCH",resource="services",code="200"\} \d+/);
    assert.match(text, /apiserver_registered_watchers [1-9]/);
    assert.match(text, /sandbox_apiserver_objects\{resource="namespaces"\} 3/);
    assert.match(text, new RegExp(`sandbox_apiserver_resource_version ${api.resourceVersion}`));
  });

  it('forgets a watch when its client goes away', async () => {
    const watchers = async (): Promise<number> =>
      Number(/apiserver_registered_watchers (\d+)/.exec(await (await fetch(`${api.url}/metrics`)).text())?.[1]);
    const before = await watchers();
    const w = watch('/api/v1/namespaces/default/pods?watch=true');
    await waitFor('the watch to register', async () => (await watchers()) === before + 1);
    w.close();
    await waitFor('the watch to be forgotten', async () => (await watchers()) === before);
  });
});
