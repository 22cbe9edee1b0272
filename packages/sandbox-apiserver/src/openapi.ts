import type { ResourceDef } from './resources.js';

/** The title and version the OpenAPI documents carry. */
const TITLE = 'Kubernetes';
const VERSION = 'v1.32.0';

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A length-delimited protobuf field (a string or an embedded message). */
function field(num: number, content: Buffer | string): Buffer {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return Buffer.concat([varint((num << 3) | 2), varint(bytes.length), bytes]);
}

/** The item path of a resource, where its PATCH operation lives. */
function itemPath(def: ResourceDef): string {
  const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  return def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}/{name}` : `${base}/${def.plural}/{name}`;
}

function gvkYaml(def: ResourceDef): string {
  return `group: "${def.group}"\nkind: ${def.kind}\nversion: ${def.version}\n`;
}

const DRY_RUN_HELP = 'When present, indicates that modifications should not be persisted. The only valid value is All.';

/**
 * `/openapi/v2` as protobuf (gnostic openapi_v2.Document), which is what kubectl asks for: one PATCH
 * operation per resource, tagged with its group/version/kind and declaring the `dryRun` query parameter
 * (kubectl 1.20 looks for it before a server-side dry run), and no definitions, so kubectl's
 * client-side validation finds no schema and leaves validation to the server.
 */
export function openApiV2Protobuf(defs: readonly ResourceDef[]): Buffer {
  // Document{swagger=1, info=2{title=1, version=2}, paths=8{path=2 NamedPathItem{name=1, value=2 PathItem{patch=8 Operation}}}}
  const paths = defs.map((def) => {
    // QueryParameterSubSchema{in=2, description=3, name=4, type=6} in NonBodyParameter=3, Parameter=2, ParametersItem=1.
    const query = Buffer.concat([field(2, 'query'), field(3, DRY_RUN_HELP), field(4, 'dryRun'), field(6, 'string')]);
    const parameter = field(8, field(1, field(2, field(3, query))));
    // NamedAny{name=1, value=2 Any{yaml=2}} as Operation.vendor_extension=13.
    const gvk = field(
      13,
      Buffer.concat([field(1, 'x-kubernetes-group-version-kind'), field(2, field(2, gvkYaml(def)))]),
    );
    const operation = Buffer.concat([field(5, `patch${def.kind}`), parameter, gvk]);
    return field(2, Buffer.concat([field(1, itemPath(def)), field(2, field(8, operation))]));
  });
  return Buffer.concat([
    field(1, '2.0'),
    field(2, Buffer.concat([field(1, TITLE), field(2, VERSION)])),
    field(8, Buffer.concat(paths)),
  ]);
}

/** `/openapi/v2` as JSON (the same content), for clients that ask for JSON. */
export function openApiV2Json(defs: readonly ResourceDef[]): object {
  const paths = Object.fromEntries(
    defs.map((def) => [
      itemPath(def),
      {
        patch: {
          operationId: `patch${def.kind}`,
          parameters: [{ in: 'query', name: 'dryRun', type: 'string', uniqueItems: true, description: DRY_RUN_HELP }],
          'x-kubernetes-group-version-kind': { group: def.group, kind: def.kind, version: def.version },
        },
      },
    ]),
  );
  return { swagger: '2.0', info: { title: TITLE, version: VERSION }, paths, definitions: {} };
}
