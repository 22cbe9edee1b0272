import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Backoff } from '@kube-dns-legacy/processkit';
import { redactEtcdUrl, splitEtcdCredentials, type EtcdAuth } from './endpoints.js';
import type {
  CallOptions,
  KeyValue,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  WatchEvent,
  WatchResponse,
} from './types.js';

/** Where and how to reach etcd. */
export interface EtcdConnection {
  /**
   * Client URLs (`http://host:port` or `https://…`), one or more members of one cluster; a URL may
   * carry the v3 auth user and password (`http://user:password@host:port`, the same in every URL).
   */
  readonly endpoints: readonly string[];
  /** Time to connect (ms); a member that does not accept a connection in time is skipped for the next. */
  readonly dialTimeoutMs: number;
  /** PEM CA bundle (TLS when given, or when a client certificate is; empty = the system's roots). */
  readonly ca?: Buffer | undefined;
  /** PEM client certificate (with `key`). */
  readonly cert?: Buffer | undefined;
  /** PEM client key. */
  readonly key?: Buffer | undefined;
  /** v3 auth user and password (when the URLs carry none, or the same). */
  readonly auth?: EtcdAuth | undefined;
  /**
   * The caller retries on its own (with its back-off): a lost watch reconnects every 250 ms instead of
   * backing off to 30 s. (Calls are never retried, with or without it; a member that cannot be
   * reached is skipped for the next.)
   */
  readonly callerRetries?: boolean;
  /**
   * Start with the first endpoint (default: a random one, so that the clients of one cluster spread
   * over its members, as etcd3 did; either way the client stays on a member until it cannot reach it).
   */
  readonly ordered?: boolean;
}

/** An etcd call that failed: the HTTP status and etcd's message (when etcd answered) and the member asked. */
export class EtcdError extends Error {
  override name = 'EtcdError';
  constructor(
    message: string,
    /** The member's URL (without credentials). */
    readonly endpoint: string,
    /** HTTP status of etcd's answer (undefined: no answer). */
    readonly status: number | undefined,
    /** gRPC code of etcd's error (undefined: none). */
    readonly code: number | undefined,
    /** The request never reached etcd (no connection): another member may be tried. */
    readonly unreached: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** gRPC codes etcd's gateway reports. */
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

/** etcd's answer to a stale or unknown auth token (the token is fetched again once). */
const TOKEN_ERROR = /invalid auth token|auth token is expired|revision of auth store is old/;

/** Errors of a socket that never got connected, or that a keep-alive reuse found closed. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** Delay between watch reconnects with `callerRetries`. */
const CALLER_RETRY_WATCH_MS = 250;

/** TCP keep-alive probes on the watch's connection start after this long idle (ms). */
const WATCH_KEEPALIVE_MS = 10_000;

interface Endpoint {
  /** The URL for messages (no credentials). */
  readonly name: string;
  readonly request: typeof http.request;
  readonly agent: http.Agent;
  readonly hostname: string;
  readonly port: number;
  /** Path prefix of the URL ('' for none). */
  readonly base: string;
}

/** etcd's JSON shapes (proto field names; int64 as decimal strings; bytes as base64). */
interface RawHeader {
  cluster_id?: string;
  member_id?: string;
  revision?: string;
}
interface RawKeyValue {
  key?: string;
  value?: string;
  mod_revision?: string;
}
interface RawError {
  error?: string | { message?: string; grpc_code?: number; http_code?: number };
  message?: string;
  code?: number;
}
interface RawWatchLine extends RawError {
  result?: {
    header?: RawHeader;
    created?: boolean;
    canceled?: boolean;
    compact_revision?: string;
    cancel_reason?: string;
    events?: Array<{ type?: string; kv?: RawKeyValue }>;
  };
}

function header(raw: RawHeader | undefined): ResponseHeader {
  return {
    clusterId: raw?.cluster_id ?? '',
    memberId: raw?.member_id ?? '',
    revision: Number(raw?.revision ?? 0),
  };
}

function text(base64: string | undefined): string {
  return base64 === undefined || base64 === '' ? '' : Buffer.from(base64, 'base64').toString('utf8');
}

function keyValue(raw: RawKeyValue | undefined): KeyValue {
  return { key: text(raw?.key), value: text(raw?.value), modRevision: Number(raw?.mod_revision ?? 0) };
}

function bytes(value: string | Buffer): string {
  return (typeof value === 'string' ? Buffer.from(value) : value).toString('base64');
}

/** etcd's message and gRPC code in an error body (plain, or a stream's `{"error": {…}}`). */
function errorOf(body: RawError): { message: string; code: number | undefined } | undefined {
  if (typeof body.error === 'object' && body.error !== null)
    return { message: body.error.message ?? 'unknown error', code: body.error.grpc_code };
  if (body.error !== undefined || body.message !== undefined)
    return { message: body.message ?? String(body.error), code: body.code };
  return undefined;
}

function isTokenError(err: unknown): boolean {
  return err instanceof EtcdError && err.status !== undefined && TOKEN_ERROR.test(err.message);
}

/** A started request: the caller gets the response, or an error that says whether etcd was reached. */
interface Started {
  readonly req: http.ClientRequest;
}

/**
 * A small etcd v3 client over etcd's JSON gateway (`/v3/…` on the client URLs), on node:http and
 * node:https with keep-alive connections: range, put, delete, transactions of puts and deletes,
 * status, and watches that reconnect from where they were. With several members, the client starts
 * on a random one (see {@link EtcdConnection.ordered}); a member that cannot be reached is skipped
 * for the next one, and the next calls stay there.
 */
export class EtcdClient {
  private readonly endpoints: Endpoint[];
  private readonly auth: EtcdAuth | undefined;
  private readonly dialTimeoutMs: number;
  private readonly callerRetries: boolean;
  /** The member calls go to. */
  private current: number;
  /** The auth token (or the authentication in progress). */
  private token: Promise<string> | undefined;
  /** The token, once known. */
  private tokenValue: string | undefined;
  private readonly watches = new Set<Watch>();
  private closed = false;

  /** Throws `EtcdEndpointError` when the URLs' credentials disagree (with each other or with `auth`). */
  constructor(connection: EtcdConnection) {
    const { hosts, auth } = splitEtcdCredentials(connection.endpoints, connection.auth);
    if (hosts.length === 0) throw new Error('no etcd endpoints given');
    this.auth = auth;
    this.dialTimeoutMs = connection.dialTimeoutMs;
    this.callerRetries = connection.callerRetries === true;
    this.current = connection.ordered === true ? 0 : Math.floor(Math.random() * hosts.length);
    const { ca, cert, key } = connection;
    const tls = ca !== undefined || cert !== undefined;
    const httpAgent = new http.Agent({ keepAlive: true });
    let httpsAgent: https.Agent | undefined;
    this.endpoints = hosts.map((host) => {
      const url = new URL(host.includes('://') ? host : `${tls ? 'https' : 'http'}://${host}`);
      const secure = tls || url.protocol === 'https:';
      if (secure)
        httpsAgent ??= new https.Agent({
          keepAlive: true,
          ...(ca !== undefined && ca.length > 0 ? { ca } : {}),
          ...(cert !== undefined ? { cert } : {}),
          ...(key !== undefined ? { key } : {}),
        });
      return {
        name: redactEtcdUrl(host),
        request: secure ? https.request : http.request,
        agent: secure ? (httpsAgent as https.Agent) : httpAgent,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(url.port !== '' ? url.port : secure ? 443 : 80),
        base: url.pathname.replace(/\/+$/, ''),
      };
    });
  }

  /** Read a key or a range of keys. */
  async range(request: RangeRequest, options?: CallOptions): Promise<RangeResponse> {
    const body: Record<string, string> = { key: bytes(request.key) };
    if (request.rangeEnd !== undefined) body['range_end'] = bytes(request.rangeEnd);
    if (request.limit !== undefined && request.limit > 0) body['limit'] = String(request.limit);
    if (request.revision !== undefined && request.revision > 0) body['revision'] = String(request.revision);
    const res = (await this.call('/v3/kv/range', body, options)) as {
      header?: RawHeader;
      kvs?: RawKeyValue[];
      more?: boolean;
      count?: string;
    };
    const raw = res.kvs ?? [];
    const kvs = raw.map(keyValue);
    const last = raw[raw.length - 1]?.key;
    return {
      header: header(res.header),
      kvs,
      more: res.more === true,
      count: Number(res.count ?? 0),
      after: last === undefined ? undefined : Buffer.concat([Buffer.from(last, 'base64'), Buffer.from([0])]),
    };
  }

  /** The value of `key`, or undefined when there is no such key. */
  async get(key: string, options?: CallOptions): Promise<string | undefined> {
    const res = await this.range({ key }, options);
    return res.kvs[0]?.value;
  }

  /** Set `key` to `value`. */
  async put(key: string, value: string | Buffer, options?: CallOptions): Promise<ResponseHeader> {
    const res = (await this.call('/v3/kv/put', { key: bytes(key), value: bytes(value) }, options)) as {
      header?: RawHeader;
    };
    return header(res.header);
  }

  /** Delete `key` (or [key, rangeEnd)); resolves with the header and how many keys were deleted. */
  async delete(
    key: string | Buffer,
    rangeEnd?: string | Buffer,
    options?: CallOptions,
  ): Promise<{ header: ResponseHeader; deleted: number }> {
    const body: Record<string, string> = { key: bytes(key) };
    if (rangeEnd !== undefined) body['range_end'] = bytes(rangeEnd);
    const res = (await this.call('/v3/kv/deleterange', body, options)) as { header?: RawHeader; deleted?: string };
    return { header: header(res.header), deleted: Number(res.deleted ?? 0) };
  }

  /** One transaction without conditions: every put and delete, or none. */
  async txn(
    puts: ReadonlyArray<readonly [string, string | Buffer]>,
    deletes: readonly string[],
    options?: CallOptions,
  ): Promise<ResponseHeader> {
    const success: object[] = [];
    for (const [key, value] of puts) success.push({ request_put: { key: bytes(key), value: bytes(value) } });
    for (const key of deletes) success.push({ request_delete_range: { key: bytes(key) } });
    const res = (await this.call('/v3/kv/txn', { success }, options)) as { header?: RawHeader };
    return header(res.header);
  }

  /** The answering member's status: its header carries the cluster id and the current revision. */
  async status(options?: CallOptions): Promise<ResponseHeader> {
    const res = (await this.call('/v3/maintenance/status', {}, options)) as { header?: RawHeader };
    return header(res.header);
  }

  /**
   * Watch [key, rangeEnd) from `startRevision` on. A lost stream is reported (`disconnected`) and
   * opened again from the revision after the last event seen (after 250 ms with `callerRetries`,
   * else backing off to 30 s), on the next member when this one cannot be reached; each opened
   * stream is reported (`created`, with etcd's current revision). `ended` is called once when etcd
   * ended the watch (compacted past the revision wanted, cancelled) or refused it; then nothing
   * more is called.
   */
  watch(request: WatchRequest, handlers: WatchHandlers): EtcdWatch {
    if (this.closed) throw new Error('the etcd client is closed');
    const watch = new Watch(this, request, handlers, (w) => this.watches.delete(w));
    this.watches.add(watch);
    watch.open();
    return { cancel: () => watch.cancel() };
  }

  /** Cancel every watch and close every connection. */
  close(): void {
    this.closed = true;
    for (const watch of [...this.watches]) watch.cancel();
    for (const agent of new Set(this.endpoints.map((e) => e.agent))) agent.destroy();
  }

  /** @internal The watch reconnect delays. */
  watchBackoff(): Backoff {
    return this.callerRetries
      ? new Backoff({ baseMs: CALLER_RETRY_WATCH_MS, capMs: CALLER_RETRY_WATCH_MS, jitter: false })
      : new Backoff({ baseMs: 250, capMs: 30_000 });
  }

  /** @internal The member to use now. */
  get endpointIndex(): number {
    return this.current;
  }

  /** @internal Move on from member `index` (unless already moved). */
  skip(index: number): void {
    if (this.current === index) this.current = (index + 1) % this.endpoints.length;
  }

  /** @internal The auth token to send, authenticating first when there is none (undefined: no auth). */
  async authToken(deadline: number | undefined): Promise<string | undefined> {
    if (this.auth === undefined) return undefined;
    const auth = this.auth;
    const token = (this.token ??= (async () => {
      const res = (await this.post(
        '/v3/auth/authenticate',
        JSON.stringify({ name: auth.username, password: auth.password }),
        undefined,
        deadline,
      )) as { token?: string };
      if (typeof res.token !== 'string' || res.token === '') throw new Error('etcd authenticated without a token');
      this.tokenValue = res.token;
      return res.token;
    })());
    try {
      return await token;
    } catch (err) {
      if (this.token === token) this.token = undefined;
      throw err;
    }
  }

  /** @internal Forget `token` (etcd refused it): the next call authenticates again. */
  dropToken(token: string | undefined): void {
    if (token !== undefined && this.tokenValue === token) {
      this.token = undefined;
      this.tokenValue = undefined;
    }
  }

  /** A call with the auth token; a refused token is fetched again and the call made once more. */
  private async call(path: string, body: object, options?: CallOptions): Promise<unknown> {
    if (this.closed) throw new Error('the etcd client is closed');
    const deadline = options?.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    const payload = JSON.stringify(body);
    const token = await this.authToken(deadline);
    try {
      return await this.post(path, payload, token, deadline);
    } catch (err) {
      if (token === undefined || !isTokenError(err)) throw err;
      this.dropToken(token);
      return this.post(path, payload, await this.authToken(deadline), deadline);
    }
  }

  /** POST `payload` to `path`, on the next member when one cannot be reached. */
  private async post(path: string, payload: string, token: string | undefined, deadline: number | undefined) {
    let staleRetried = false;
    let last: unknown;
    for (let tried = 0; tried < this.endpoints.length; ) {
      const index = this.current;
      try {
        return await this.once(index, path, payload, token, deadline);
      } catch (err) {
        last = err;
        if (!(err instanceof EtcdError)) throw err;
        if (err.code === UNAVAILABLE) this.skip(index);
        if (!err.unreached || (deadline !== undefined && Date.now() >= deadline)) throw err;
        if (err.cause instanceof Error && 'stale' in err.cause && !staleRetried) {
          staleRetried = true; // a kept-alive connection that etcd had closed: once more, on a new one
          continue;
        }
        this.skip(index);
        tried++;
      }
    }
    throw last;
  }

  /** One POST to member `index`. */
  private once(
    index: number,
    path: string,
    payload: string,
    token: string | undefined,
    deadline: number | undefined,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (err: Error | undefined, value?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === undefined) resolve(value);
        else {
          req.destroy();
          reject(err);
        }
      };
      const { req } = this.start(index, path, payload, token, {
        response: (res, endpoint) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(body);
            } catch {
              const shown = body.slice(0, 200);
              settle(
                new EtcdError(
                  `etcd ${endpoint} ${path}: HTTP ${res.statusCode}: ${shown}`,
                  endpoint,
                  res.statusCode,
                  undefined,
                  false,
                ),
              );
              return;
            }
            if (res.statusCode === 200) settle(undefined, parsed);
            else settle(responseError(endpoint, path, res.statusCode, parsed as RawError));
          });
          res.on('error', (err) =>
            settle(new EtcdError(`etcd ${endpoint} ${path}: ${err.message}`, endpoint, undefined, undefined, false)),
          );
        },
        error: (err) => settle(err),
      });
      if (deadline !== undefined) {
        const endpoint = this.endpoints[index]?.name ?? '';
        timer = setTimeout(
          () =>
            settle(
              new EtcdError(
                `etcd ${endpoint} ${path}: no answer before the deadline`,
                endpoint,
                undefined,
                DEADLINE_EXCEEDED,
                false,
              ),
            ),
          Math.max(0, deadline - Date.now()),
        );
      }
    });
  }

  /**
   * @internal Send `payload` to `path` on member `index`. `error` gets an {@link EtcdError}
   * (`unreached` when the connection failed or timed out); `response` gets the reply.
   */
  start(
    index: number,
    path: string,
    payload: string,
    token: string | undefined,
    on: {
      response: (res: http.IncomingMessage, endpoint: string) => void;
      error: (err: EtcdError) => void;
      socket?: (socket: Socket) => void;
    },
  ): Started {
    const ep = this.endpoints[index] as Endpoint;
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    };
    if (token !== undefined) headers['authorization'] = token;
    const req = ep.request({
      hostname: ep.hostname,
      port: ep.port,
      path: ep.base + path,
      method: 'POST',
      agent: ep.agent,
      headers,
    });
    let connected = false;
    let answered = false;
    let failed = false;
    let dial: NodeJS.Timeout | undefined;
    req.on('socket', (socket: Socket) => {
      on.socket?.(socket);
      if (!socket.connecting) {
        connected = true;
        return;
      }
      dial = setTimeout(() => {
        const err = new Error(`no connection within ${this.dialTimeoutMs} ms`);
        Object.assign(err, { code: 'ETIMEDOUT' });
        req.destroy(err);
      }, this.dialTimeoutMs);
      socket.once('connect', () => {
        connected = true;
        clearTimeout(dial);
      });
    });
    req.on('response', (res) => {
      answered = true;
      clearTimeout(dial);
      on.response(res, ep.name);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(dial);
      if (failed) return;
      failed = true;
      if (err instanceof EtcdError) {
        on.error(err);
        return;
      }
      const stale = req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      const unreached = (!connected && (err.code === 'ETIMEDOUT' || CONNECT_ERRORS.has(err.code ?? ''))) || stale;
      if (stale) Object.assign(err, { stale: true });
      on.error(
        new EtcdError(
          `etcd ${ep.name} ${path}: ${unreached && !stale ? 'cannot connect: ' : ''}${err.message}`,
          ep.name,
          undefined,
          undefined,
          unreached,
          { cause: err },
        ),
      );
    });
    req.end(payload);
    return { req };
  }
}

/** An error for a non-200 reply, with etcd's message. */
function responseError(endpoint: string, path: string, status: number | undefined, body: RawError): EtcdError {
  const error = errorOf(body);
  return new EtcdError(
    `etcd ${endpoint} ${path}: ${error?.message ?? 'unknown error'} (HTTP ${status})`,
    endpoint,
    status,
    error?.code,
    false,
  );
}

/** What to watch. */
export interface WatchRequest {
  readonly key: string | Buffer;
  /** End of the range, exclusive (absent: `key` alone). */
  readonly rangeEnd?: string | Buffer | undefined;
  /** The first revision to report. */
  readonly startRevision: number;
}

/** What a watch reports. */
export interface WatchHandlers {
  /** A stream was opened; `header.revision` is etcd's current revision. */
  created(header: ResponseHeader): void;
  /** Changes. */
  data(res: WatchResponse): void;
  /** The stream was lost (or could not be opened); it is opened again on its own. */
  disconnected(err: Error): void;
  /** etcd ended the watch (`err` says why, e.g. compacted); nothing more is reported. */
  ended(err: Error | undefined): void;
}

/** A running watch. */
export interface EtcdWatch {
  /** Stop watching (nothing more is reported). */
  cancel(): void;
}

/** One watch: a `/v3/watch` stream, opened again whenever it is lost. */
class Watch {
  private next: number;
  private stopped = false;
  private req: http.ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  /** The stream was refused for a stale token this many times in a row. */
  private tokenRetries = 0;

  constructor(
    private readonly client: EtcdClient,
    private readonly request: WatchRequest,
    private readonly handlers: WatchHandlers,
    private readonly onDone: (watch: Watch) => void,
  ) {
    this.next = request.startRevision;
    this.backoff = client.watchBackoff();
  }

  cancel(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.req?.destroy();
    this.req = undefined;
    this.onDone(this);
  }

  open(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let token: string | undefined;
    try {
      token = await this.client.authToken(undefined);
    } catch (err) {
      if (err instanceof EtcdError && !err.unreached && err.status !== undefined && err.status < 500) this.end(err);
      else this.lost(err as Error);
      return;
    }
    if (this.stopped) return;
    const index = this.client.endpointIndex;
    const create: Record<string, string> = { key: bytes(this.request.key), start_revision: String(this.next) };
    if (this.request.rangeEnd !== undefined) create['range_end'] = bytes(this.request.rangeEnd);
    let streamEnded = false;
    const { req } = this.client.start(index, '/v3/watch', JSON.stringify({ create_request: create }), token, {
      socket: (socket) => socket.setKeepAlive(true, WATCH_KEEPALIVE_MS),
      response: (res, endpoint) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let body: RawError = {};
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RawError;
            } catch {}
            this.refused(responseError(endpoint, '/v3/watch', res.statusCode, body), token, req);
          });
          return;
        }
        res.setEncoding('utf8');
        // One JSON message a line; a line (a burst of events) can span many chunks: only new chunks are searched.
        let parts: string[] = [];
        res.on('data', (chunk: string) => {
          let start = 0;
          for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
            parts.push(chunk.slice(start, nl));
            start = nl + 1;
            const line = parts.length === 1 ? (parts[0] as string) : parts.join('');
            parts = [];
            if (this.stopped || this.req !== req) return;
            if (line.trim() !== '') this.line(line, endpoint, token, req);
          }
          if (start < chunk.length) parts.push(start === 0 ? chunk : chunk.slice(start));
        });
        const gone = (err: Error) => {
          if (streamEnded) return;
          streamEnded = true;
          if (this.req === req) this.lost(err);
        };
        res.on('end', () => gone(new Error(`etcd ${endpoint} closed the watch stream`)));
        res.on('error', (err) => gone(err));
        res.on('aborted', () => gone(new Error(`etcd ${endpoint}: the watch stream was cut`)));
      },
      error: (err) => {
        if (streamEnded || this.req !== req) return;
        streamEnded = true;
        if (err.unreached) this.client.skip(index);
        this.lost(err);
      },
    });
    this.req = req;
  }

  /** One line of the stream. */
  private line(line: string, endpoint: string, token: string | undefined, req: http.ClientRequest): void {
    let msg: RawWatchLine;
    try {
      msg = JSON.parse(line) as RawWatchLine;
    } catch {
      this.lost(new Error(`etcd ${endpoint}: not JSON on the watch stream: ${line.slice(0, 200)}`));
      return;
    }
    const result = msg.result;
    if (result === undefined) {
      this.refused(responseError(endpoint, '/v3/watch', 200, msg), token, req);
      return;
    }
    if (result.canceled === true) {
      const reason = result.cancel_reason ?? '';
      // etcd checks a watch's token when it creates it and cancels the watch for a stale one ("invalid auth
      // token"; "permission denied" in some versions): authenticate again and try once more before taking
      // it for a real refusal.
      if (
        token !== undefined &&
        (TOKEN_ERROR.test(reason) || /permission denied/.test(reason)) &&
        this.tokenRetries++ === 0
      ) {
        this.client.dropToken(token);
        this.again(req);
        return;
      }
      const compacted = Number(result.compact_revision ?? 0);
      this.end(
        compacted > 0
          ? new Error(`etcd ${endpoint}: the watch from revision ${this.next} was compacted (at ${compacted})`)
          : reason !== ''
            ? new Error(`etcd ${endpoint} cancelled the watch: ${reason}`)
            : undefined,
      );
      return;
    }
    if (result.created === true) {
      this.backoff.reset();
      this.tokenRetries = 0;
      this.handlers.created(header(result.header));
      return;
    }
    const raw = result.events;
    if (raw === undefined || raw.length === 0) return;
    const events: WatchEvent[] = raw.map((e) => ({ type: e.type === 'DELETE' ? 'Delete' : 'Put', kv: keyValue(e.kv) }));
    const last = events[events.length - 1] as WatchEvent;
    if (last.kv.modRevision >= this.next) this.next = last.kv.modRevision + 1;
    this.handlers.data({ header: header(result.header), events });
  }

  /** etcd refused the stream: a stale token is fetched again once; unavailable members are retried; anything else ends the watch. */
  private refused(err: EtcdError, token: string | undefined, req: http.ClientRequest): void {
    if (this.stopped || this.req !== req) return;
    if (token !== undefined && isTokenError(err)) {
      this.client.dropToken(token);
      if (this.tokenRetries++ === 0) {
        this.again(req);
        return;
      }
    }
    if (err.code === UNAVAILABLE || err.code === UNAUTHENTICATED || (err.status ?? 0) >= 500) {
      this.client.skip(this.client.endpointIndex);
      this.lost(err);
      return;
    }
    this.end(err);
  }

  /** Drop the stream `req` and open another at once (nothing is reported). */
  private again(req: http.ClientRequest): void {
    this.req = undefined;
    req.destroy();
    setImmediate(() => void this.connect());
  }

  /** The stream is gone: report it and open another after the back-off. */
  private lost(err: Error): void {
    if (this.stopped) return;
    this.req?.destroy();
    this.req = undefined;
    this.handlers.disconnected(err);
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), this.backoff.next());
  }

  /** etcd ended the watch. */
  private end(err: Error | undefined): void {
    if (this.stopped) return;
    this.cancel();
    this.handlers.ended(err);
  }
}

/** An etcd client for `connection` ({@link EtcdClient}). */
export function connectEtcd(connection: EtcdConnection): EtcdClient {
  return new EtcdClient(connection);
}
