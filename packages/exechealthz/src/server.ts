import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@kube-dns-legacy/processkit';
import type { HealthzMetrics } from './metrics.js';
import { healthzResponse, type ExecResult } from './result.js';

/** What the HTTP server reads and reports to. */
export interface ServerOptions {
  /** Source of the latest result (the worker). */
  worker: { readonly result: ExecResult };
  cmd: string;
  latencyMs: number;
  verbose: boolean;
  metrics: HealthzMetrics;
  logger: Logger;
}

const INDEX =
  '<b> Kubernetes healthz sidecar container </b><br/><br/>' +
  '<a href="/healthz">/healthz: healthz probe. Returns "ok" if the command given through -cmd exits with 0.</a><br/>' +
  '<a href="/metrics">/metrics: Prometheus metrics.</a><br/>';

/** The HTTP server: `/healthz`, `/` (index) and `/metrics`; 404 for anything else (no `/quit`). */
export function createHealthzServer(options: ServerOptions): Server {
  const { worker, metrics, logger } = options;
  return createServer((req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const client = req.socket.remoteAddress;
    if (path === '/healthz') {
      const answer = healthzResponse(worker.result, new Date(), options.latencyMs);
      metrics.recordProbe(answer.status);
      if (options.verbose) logger.info('probe request', { client, cmd: options.cmd, status: answer.status });
      if (answer.status !== 200) logger.warn('healthz failing', { client, status: answer.status, body: answer.body });
      send(res, answer.status, 'text/plain; charset=utf-8', answer.body);
    } else if (path === '/') {
      send(res, 200, 'text/html; charset=utf-8', INDEX);
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => send(res, 200, metrics.registry.contentType, text),
        (err: unknown) => {
          logger.error('cannot render metrics', { error: String(err) });
          send(res, 500, 'text/plain; charset=utf-8', 'cannot render metrics\n');
        },
      );
    } else {
      send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    }
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'x-content-type-options': 'nosniff' });
  res.end(body);
}
