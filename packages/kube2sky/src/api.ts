import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/** A non-200 answer of the API server (its HTTP status and the message of its Status body, when there is one). */
export class ApiStatusError extends Error {
  constructor(
    message: string,
    /** The HTTP status (410 when a list's continue token or a watch's resourceVersion has expired). */
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'ApiStatusError';
  }
}

function statusMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return `HTTP ${status}: ${parsed.message}`;
  } catch {
    // not a Status object
  }
  return `HTTP ${status}`;
}

/**
 * GET `path` from the current cluster of `kubeConfig` with its credentials (client-node's
 * `applyToHTTPSOptions`: CA, client certificates, bearer token re-read from its file, proxy) and parse
 * the JSON body as plain data. Rejects with `ApiStatusError` on any status but 200, and with
 * `<what> took longer than <timeoutMs> ms` (the request aborted) when the answer is not complete in time.
 */
export async function getJson(kubeConfig: KubeConfig, path: string, what: string, timeoutMs: number): Promise<unknown> {
  return requestJson(kubeConfig, 'GET', path, what, timeoutMs);
}

/** Like getJson, for any method with an optional JSON body; 200 and 201 are success. */
export async function requestJson(
  kubeConfig: KubeConfig,
  method: string,
  path: string,
  what: string,
  timeoutMs: number,
  body?: unknown,
): Promise<unknown> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('no current cluster in the Kubernetes client configuration');
  const url = new URL(server.replace(/\/+$/, '') + path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const options: RequestOptions = {
    method,
    headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status !== 200 && status !== 201) {
          reject(new ApiStatusError(`${what}: ${statusMessage(status, text)}`, status));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(new Error(`${what}: the answer is not JSON: ${(err as Error).message}`));
        }
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(payload);
  });
}
