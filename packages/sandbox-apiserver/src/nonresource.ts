import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiGroup, apiGroupList, apiVersions, resourceList, SERVER_VERSION } from './discovery.js';
import { openApiV2Json, openApiV2Protobuf } from './openapi.js';
import { CORE_RESOURCES, namedGroups, servedResources } from './resources.js';
import { send, sendText } from './respond.js';

/** Answer the paths that are not resources: health, version, discovery, OpenAPI. Returns false when not one. */
export function nonResource(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { readonly endpointSlices: boolean; readonly address: () => string },
  path: string,
): boolean {
  const groups = namedGroups(ctx.endpointSlices);
  switch (path) {
    case '/healthz':
    case '/livez':
    case '/readyz':
      sendText(res, 200, 'ok');
      return true;
    case '/version':
      send(res, 200, SERVER_VERSION);
      return true;
    case '/api':
      send(res, 200, apiVersions(ctx.address()));
      return true;
    case '/api/v1':
      send(res, 200, resourceList('v1', CORE_RESOURCES));
      return true;
    case '/apis':
      send(res, 200, apiGroupList(groups.map((g) => apiGroup(g.group, g.version))));
      return true;
    case '/openapi/v2': {
      const defs = servedResources(ctx.endpointSlices);
      if (/protobuf/.test(req.headers.accept ?? '')) {
        const body = openApiV2Protobuf(defs);
        res.writeHead(200, {
          'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
          'Content-Length': body.length,
        });
        res.end(body);
      } else send(res, 200, openApiV2Json(defs));
      return true;
    }
  }
  for (const g of groups) {
    if (path === `/apis/${g.group}`) {
      send(res, 200, apiGroup(g.group, g.version));
      return true;
    }
    if (path === `/apis/${g.group}/${g.version}`) {
      send(res, 200, resourceList(`${g.group}/${g.version}`, g.resources));
      return true;
    }
  }
  return false;
}
