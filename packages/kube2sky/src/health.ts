import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the health endpoints report on. */
export interface HealthSource {
  /** True once the initial lists are written to etcd. */
  ready(): boolean;
  /** With leader election: `leader`, or `follower (<who> leads)`; said on /readiness. */
  role?(): string | undefined;
  /** Overall health and its parts (`etcd`, each watched resource). */
  health(): { ok: boolean; checks: Record<string, boolean> };
}

/** Which endpoints one HTTP server answers. */
export interface HealthServerOptions {
  /** IP address to listen on (`0.0.0.0`: every interface). */
  readonly host: string;
  readonly port: number;
  readonly source?: HealthSource;
  readonly registry?: Registry;
}

/** Serve `/readiness` and `/healthz` (when `source` is given) and `/metrics` (when `registry` is given); resolves with the bound port. */
export async function startHealthServer(options: HealthServerOptions): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (path === '/readiness' && options.source) {
      const ready = options.source.ready();
      const role = options.source.role?.();
      send(
        ready ? 200 : 503,
        `${ready ? 'ok' : 'initial sync not written to etcd yet'}${role === undefined ? '' : `; ${role}`}`,
      );
    } else if (path === '/healthz' && options.source) {
      const { ok, checks } = options.source.health();
      send(ok ? 200 : 503, JSON.stringify({ status: ok ? 'ok' : 'unhealthy', checks }), 'application/json');
    } else if (path === '/metrics' && options.registry) {
      const registry = options.registry;
      registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        (err: Error) => send(500, err.message),
      );
    } else {
      send(404, 'not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
