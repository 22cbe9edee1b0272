import { Agent, request, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** How to reach a real API server: a bearer token and the CA that signed its certificate. */
export interface ApiCredentials {
  readonly token: string;
  readonly ca: Buffer;
}

/**
 * A minimal JSON client for a Kubernetes API server's HTTP API (node:http/https with keep-alive: far
 * cheaper per call than fetch): the sandbox over http, or a real API server over https with a token.
 */
export class ApiClient {
  private readonly url: URL;
  private readonly agent: Agent;

  constructor(
    base: string,
    private readonly credentials?: ApiCredentials,
  ) {
    this.url = new URL(base);
    this.agent =
      this.url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, maxSockets: 64, ca: credentials?.ca })
        : new Agent({ keepAlive: true, maxSockets: 64 });
  }

  private call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const send = this.url.protocol === 'https:' ? httpsRequest : request;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method,
          agent: this.agent,
          headers: {
            ...(payload === undefined
              ? {}
              : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
            ...(this.credentials === undefined ? {} : { authorization: `Bearer ${this.credentials.token}` }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** GET an object or list; resolves with the status and the parsed body (undefined unless 200). */
  async get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T | undefined }> {
    const { status, text } = await this.call('GET', path);
    return { status, body: status === 200 ? (JSON.parse(text) as T) : undefined };
  }

  /** A JSON merge patch of an object's `status` subresource (as a kubelet writes pod status); throws on any status but 200. */
  async patchStatus(path: string, status: unknown): Promise<void> {
    const res = await this.call('PATCH', `${path}/status`, { status }, 'application/merge-patch+json');
    if (res.status !== 200) throw new Error(`PATCH ${path}/status: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  }

  /** POST a new object to a collection path; resolves with the created object, throws on any status but 201. */
  async create<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
    const { status, text } = await this.call('POST', path, body);
    if (status !== 201) throw new Error(`POST ${path}: HTTP ${status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  /** DELETE an object; throws on any status but 200. */
  async remove(path: string): Promise<void> {
    const { status, text } = await this.call('DELETE', path);
    if (status !== 200) throw new Error(`DELETE ${path}: HTTP ${status} ${text.slice(0, 300)}`);
  }

  /** Create a namespace (409 AlreadyExists is fine). */
  async namespace(name: string): Promise<void> {
    const { status } = await this.call('POST', '/api/v1/namespaces', { metadata: { name } });
    if (status !== 201 && status !== 409) throw new Error(`POST namespace ${name}: HTTP ${status}`);
  }

  /** Close idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** Run `work` over `items` with at most `concurrency` in flight; rejects on the first failure. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** A ClusterIP Service with named ports. */
export function clusterIpService(
  name: string,
  ports: ReadonlyArray<{ name: string; port: number; protocol: 'TCP' | 'UDP' }>,
): Record<string, unknown> {
  return { metadata: { name }, spec: { type: 'ClusterIP', ports: ports.map((p) => ({ ...p, targetPort: p.port })) } };
}

/**
 * A watch stream on a collection (the sandbox over http, a real API server over https with its credentials):
 * calls `onEvent(type, name)` for each event as it arrives; returns a function that ends it. An ERROR event
 * or a closed stream (a real API server answers "Too large resource version" while its watch cache lags)
 * starts the watch again after `retryMs`.
 */
export function watchNames(
  base: string,
  path: string,
  onEvent: (type: string, name: string) => void,
  credentials?: ApiCredentials,
  retryMs = 200,
): Promise<() => void> {
  const url = new URL(`${base}${path}${path.includes('?') ? '&' : '?'}watch=1`);
  const send = url.protocol === 'https:' ? httpsRequest : request;
  let stopped = false;
  let current: ClientRequest | undefined;
  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const again = (): void => {
        if (!stopped) setTimeout(() => void open().catch(() => again()), retryMs);
      };
      const req = send(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          ...(credentials === undefined
            ? {}
            : { ca: credentials.ca, headers: { authorization: `Bearer ${credentials.token}` } }),
        },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
            return;
          }
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (line.trim() === '') continue;
              const event = JSON.parse(line) as { type: string; object?: { metadata?: { name?: string } } };
              if (event.type === 'ERROR') {
                req.destroy();
                return;
              }
              onEvent(event.type, event.object?.metadata?.name ?? '');
            }
          });
          res.on('error', () => undefined);
          res.on('close', again);
          resolve();
        },
      );
      current = req;
      req.on('error', (err) => reject(err));
      req.end();
    });
  return open().then(() => () => {
    stopped = true;
    current?.destroy();
  });
}
