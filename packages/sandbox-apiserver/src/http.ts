import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'winston';
import type { Json, JsonObject } from './json.js';
import { asObject, asString, clone, isObject } from './json.js';
import type { ApiMetrics } from './metrics.js';
import { nonResource } from './nonresource.js';
import { continueExpired, decodeContinue, encodeContinue, parseLimit } from './paging.js';
import { jsonPatch, mergePatch, strategicPatch } from './patch.js';
import type { Registry } from './registry.js';
import type { ResourceDef } from './resources.js';
import { apiVersionOf, CORE_RESOURCES, namedGroups, NAMESPACES, servedResources } from './resources.js';
import type { ResourceRoute } from './routes.js';
import { readJson, send } from './respond.js';
import { parseResourcePath } from './routes.js';
import { fieldSelector, labelSelector } from './selectors.js';
import { ApiError, failureStatus, successStatus } from './status.js';
import type { IncludeObject } from './table.js';
import { toTable } from './table.js';
import type { WatchContext } from './watch.js';
import { serveWatch } from './watch.js';

/** Everything the request handler works with. */
export interface ApiContext extends WatchContext {
  /** API semantics over the store. */
  readonly registry: Registry;
  /** Whether discovery.k8s.io/v1 is served. */
  readonly endpointSlices: boolean;
  /** host:port the server is reached at. */
  readonly address: () => string;
  /** Where requests and errors are logged. */
  readonly logger: Logger;
  /** The accepted bearer tokens, or undefined when requests need none. */
  readonly tokens: () => ReadonlySet<string> | undefined;
  /** Request counters and gauges for `/metrics`. */
  readonly metrics: ApiMetrics;
}

/** Paths anonymous clients may read, as on a real API server. */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/metrics']);

function authenticate(req: IncomingMessage, ctx: ApiContext): void {
  const tokens = ctx.tokens();
  if (!tokens) return;
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1] || !tokens.has(match[1])) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
}

function dryRun(query: URLSearchParams): boolean {
  const value = query.get('dryRun');
  if (value === null || value === '') return false;
  if (value !== 'All') throw new ApiError(400, `Invalid dryRun value "${value}": the only supported value is "All"`);
  return true;
}

function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

function includeObject(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject');
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

function listOf(def: ResourceDef, items: JsonObject[], resourceVersion: string): JsonObject {
  const bare = items.map((item) => {
    const copy = { ...item };
    delete copy['kind'];
    delete copy['apiVersion'];
    return copy;
  });
  return { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion }, items: bare };
}

function served(
  ctx: ApiContext,
  segments: readonly string[],
): { defs: readonly ResourceDef[]; rest: readonly string[] } | undefined {
  if (segments[0] === 'api' && segments[1] === 'v1') return { defs: CORE_RESOURCES, rest: segments.slice(2) };
  if (segments[0] !== 'apis') return undefined;
  const group = namedGroups(ctx.endpointSlices).find((g) => g.group === segments[1] && g.version === segments[2]);
  return group && { defs: group.resources, rest: segments.slice(3) };
}

function getCollection(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ApiContext,
  route: ResourceRoute,
  query: URLSearchParams,
): void {
  const { def, namespace } = route;
  const labels = labelSelector(query.get('labelSelector'));
  const fields = fieldSelector(query.get('fieldSelector'), def.selectableFields, def.kind);
  const matches = (o: JsonObject): boolean => labels(o) && fields(o);
  const watch = query.get('watch');
  if (watch === 'true' || watch === '1') {
    const timeout = query.get('timeoutSeconds');
    if (timeout !== null && !/^[0-9]+$/.test(timeout))
      throw new ApiError(400, `timeoutSeconds: Invalid value: "${timeout}": must be a non-negative integer`);
    serveWatch(
      res,
      {
        def,
        namespace,
        matches,
        resourceVersion: query.get('resourceVersion') ?? '',
        timeoutSeconds: timeout === null ? undefined : Number(timeout),
        bookmarks: query.get('allowWatchBookmarks') === 'true',
        table: wantsTable(req) ? includeObject(query) : undefined,
      },
      ctx,
    );
    return;
  }
  const limit = parseLimit(query.get('limit'));
  const token = query.get('continue') ?? '';
  // Paged (limit/continue) as a real API server does, every page at the first page's resourceVersion; tables (kubectl get) come whole.
  if ((limit !== undefined || token !== '') && !wantsTable(req)) {
    const start = token === '' ? { rv: ctx.store.resourceVersion, after: '' } : decodeContinue(token);
    let matching: Array<{ id: string; object: JsonObject }>;
    try {
      matching = ctx.store.listAt(def, namespace, start.rv, start.after).filter(({ object }) => matches(object));
    } catch (err) {
      throw err instanceof ApiError && err.code === 410 && token !== '' ? continueExpired() : err;
    }
    const page = limit === undefined ? matching : matching.slice(0, limit);
    const rest = matching.length - page.length;
    const last = page[page.length - 1];
    const list = listOf(
      def,
      page.map(({ object }) => clone(object)),
      String(start.rv),
    );
    if (rest > 0 && last !== undefined)
      list['metadata'] = {
        resourceVersion: String(start.rv),
        continue: encodeContinue(start.rv, last.id),
        remainingItemCount: rest,
      };
    send(res, 200, list);
    return;
  }
  const items = ctx.store.list(def, namespace).filter(matches);
  const rv = String(ctx.store.resourceVersion);
  send(res, 200, wantsTable(req) ? toTable(def, items, rv, includeObject(query)) : listOf(def, items, rv));
}

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

async function patchBody(req: IncomingMessage, def: ResourceDef, current: JsonObject): Promise<Json> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  if (!PATCH_TYPES.includes(type)) {
    throw new ApiError(
      415,
      `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      'UnsupportedMediaType',
    );
  }
  const body = await readJson(req);
  if (type === 'application/merge-patch+json') return mergePatch(current, body);
  if (type === 'application/strategic-merge-patch+json') return strategicPatch(def.kind, '', current, body);
  return jsonPatch(current, body);
}

async function resource(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ApiContext,
  route: ResourceRoute,
  query: URLSearchParams,
): Promise<void> {
  const { def, name, subresource } = route;
  const namespace = def.namespaced ? route.namespace : '';
  if (subresource !== '' && !(subresource === 'status' && def.statusSubresource))
    throw new ApiError(404, 'the server could not find the requested resource', 'NotFound');
  const method = req.method ?? 'GET';
  if (name === undefined) {
    if (method === 'GET') return getCollection(req, res, ctx, route, query);
    if (method === 'POST') {
      if (namespace === undefined)
        throw new ApiError(405, `POST is not supported on ${def.plural} across all namespaces`, 'MethodNotAllowed');
      send(res, 201, ctx.registry.create(def, namespace, await readJson(req), dryRun(query)));
      return;
    }
    throw new ApiError(405, `the server does not allow this method on the requested resource`, 'MethodNotAllowed');
  }
  if (namespace === undefined) throw new ApiError(404, 'the server could not find the requested resource', 'NotFound');
  const target = { def, namespace, name };
  switch (method) {
    case 'GET': {
      const object = ctx.registry.get(target);
      send(
        res,
        200,
        wantsTable(req)
          ? toTable(
              def,
              [object],
              asString(asObject(object['metadata'])['resourceVersion']) ?? '',
              includeObject(query),
            )
          : object,
      );
      return;
    }
    case 'PUT': {
      const { object, created } = ctx.registry.update(target, await readJson(req), subresource, dryRun(query));
      send(res, created ? 201 : 200, object);
      return;
    }
    case 'PATCH': {
      const current = ctx.registry.get(target);
      const patched = await patchBody(req, def, current);
      if (isObject(patched)) {
        const meta = asObject(patched['metadata']);
        if (meta['resourceVersion'] === asObject(current['metadata'])['resourceVersion'])
          delete meta['resourceVersion'];
      }
      send(res, 200, ctx.registry.update(target, patched, subresource, dryRun(query), true).object);
      return;
    }
    case 'DELETE': {
      if (subresource)
        throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
      const body = await readJson(req, {});
      const pre = asObject(asObject(body)['preconditions']);
      const contained = def === NAMESPACES ? servedResources(true).filter((d) => d.namespaced) : [];
      const removed = ctx.registry.remove(
        target,
        { uid: asString(pre['uid']), resourceVersion: asString(pre['resourceVersion']) },
        contained,
        dryRun(query) || asObject(body)['dryRun'] !== undefined,
      );
      const meta = asObject(removed['metadata']);
      send(
        res,
        200,
        def.deleteReturnsObject
          ? removed
          : successStatus({ name, group: def.group, kind: def.plural, uid: meta['uid'] ?? '' }),
      );
      return;
    }
    default:
      throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  }
}

function verbOf(method: string, route: ResourceRoute | undefined, query: URLSearchParams): string {
  if (method !== 'GET' || !route || route.name !== undefined) return method;
  const watch = query.get('watch');
  return watch === 'true' || watch === '1' ? 'WATCH' : 'LIST';
}

/** The deprecated `/watch/` paths: a watch of the collection, narrowed to one name when the path has one. */
function legacyWatchRoute(req: IncomingMessage, route: ResourceRoute, query: URLSearchParams): ResourceRoute {
  if (req.method !== 'GET' || route.subresource)
    throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  query.set('watch', 'true');
  if (route.name === undefined) return route;
  const byName = `metadata.name=${route.name}`;
  const fields = query.get('fieldSelector');
  query.set('fieldSelector', fields ? `${fields},${byName}` : byName);
  return { ...route, name: undefined };
}

function decodeSegments(path: string): string[] {
  try {
    return path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    throw new ApiError(400, `malformed path "${path}"`);
  }
}

/** Serve one HTTP request of the Kubernetes API; every failure is answered with a Status object. */
export async function handle(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): Promise<void> {
  const started = Date.now();
  const url = new URL(req.url ?? '/', 'http://sandbox');
  let route: ResourceRoute | undefined;
  try {
    const failing = ctx.faults.failing;
    if (failing !== undefined) throw new ApiError(failing, `sandbox fault: every request fails with ${failing}`);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (!PUBLIC_PATHS.has(path)) authenticate(req, ctx);
    if (req.method === 'GET' && path === '/metrics') {
      const text = await ctx.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (req.method === 'GET' && nonResource(req, res, ctx, path)) return;
    const group = served(ctx, decodeSegments(path));
    const legacyWatch = group?.rest[0] === 'watch';
    route = group && parseResourcePath(legacyWatch ? group.rest.slice(1) : group.rest, group.defs);
    if (!route) throw new ApiError(404, 'the server could not find the requested resource', 'NotFound');
    if (legacyWatch) route = legacyWatchRoute(req, route, url.searchParams);
    await resource(req, res, ctx, route, url.searchParams);
  } catch (err) {
    const apiError =
      err instanceof ApiError ? err : new ApiError(500, `Internal error occurred: ${(err as Error).message}`);
    if (!(err instanceof ApiError))
      ctx.logger.error('request failed', { method: req.method, url: req.url, error: (err as Error).stack });
    if (res.headersSent) res.end();
    else {
      // The rest of an oversized body is never read: close the connection instead of reusing it.
      if (apiError.code === 413) res.setHeader('Connection', 'close');
      send(res, apiError.code, failureStatus(apiError.code, apiError.message, apiError.reason, apiError.details));
    }
  } finally {
    const verb = verbOf(req.method ?? 'GET', route, url.searchParams);
    ctx.metrics.requests.inc({
      verb,
      resource: route ? route.def.plural + (route.subresource ? `/${route.subresource}` : '') : '',
      code: String(res.statusCode),
    });
    ctx.logger.debug('request', { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started });
  }
}
