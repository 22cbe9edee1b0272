/** The title and version the minimal OpenAPI documents carry. */
const TITLE = 'Kubernetes';
const VERSION = 'v1.32.0';

function protoString(field: number, text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}

/**
 * `/openapi/v2` as protobuf (gnostic openapi_v2.Document: swagger = 1, info = 2 {title = 1, version = 2}),
 * which is what kubectl asks for. The document holds no definitions, so kubectl's client-side validation
 * finds no schema for any kind and accepts the objects; the server validates them itself.
 */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([protoString(1, TITLE), protoString(2, VERSION)]);
  return Buffer.concat([protoString(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
}

/** `/openapi/v2` as JSON, for clients that ask for JSON. */
export function openApiV2Json(): object {
  return { swagger: '2.0', info: { title: TITLE, version: VERSION }, paths: {}, definitions: {} };
}
