import type { Json, JsonObject } from './json.js';
import { ApiError } from './status.js';

/** How one protobuf field maps to JSON. `bytes` becomes base64; `ignore` drops it; a schema object is a nested message. */
type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'map' | 'bytesMap' | 'intOrString' | 'ignore' | MessageSchema;

/** One field of a message: its JSON name, type and whether it repeats. */
interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: boolean;
}

/** The fields of a message by field number. */
interface MessageSchema {
  readonly [field: number]: FieldSpec;
}

/** Magic prefix of Kubernetes protobuf bodies. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const OBJECT_META: MessageSchema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  4: { name: 'selfLink', type: 'ignore' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'ignore' },
  8: { name: 'creationTimestamp', type: 'ignore' },
  9: { name: 'deletionTimestamp', type: 'ignore' },
  10: { name: 'deletionGracePeriodSeconds', type: 'ignore' },
  11: { name: 'labels', type: 'map' },
  12: { name: 'annotations', type: 'map' },
  14: { name: 'finalizers', type: 'string', repeated: true },
  17: { name: 'managedFields', type: 'ignore' },
};

const SERVICE_PORT: MessageSchema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'protocol', type: 'string' },
  3: { name: 'port', type: 'int' },
  4: { name: 'targetPort', type: 'intOrString' },
  5: { name: 'nodePort', type: 'int' },
  6: { name: 'appProtocol', type: 'string' },
};

const SERVICE: MessageSchema = {
  1: { name: 'metadata', type: OBJECT_META },
  2: {
    name: 'spec',
    type: {
      1: { name: 'ports', type: SERVICE_PORT, repeated: true },
      2: { name: 'selector', type: 'map' },
      3: { name: 'clusterIP', type: 'string' },
      4: { name: 'type', type: 'string' },
      5: { name: 'externalIPs', type: 'string', repeated: true },
      7: { name: 'sessionAffinity', type: 'string' },
      8: { name: 'loadBalancerIP', type: 'string' },
      9: { name: 'loadBalancerSourceRanges', type: 'string', repeated: true },
      10: { name: 'externalName', type: 'string' },
      11: { name: 'externalTrafficPolicy', type: 'string' },
      12: { name: 'healthCheckNodePort', type: 'int' },
      13: { name: 'publishNotReadyAddresses', type: 'bool' },
      18: { name: 'clusterIPs', type: 'string', repeated: true },
    },
  },
  3: { name: 'status', type: 'ignore' },
};

const NAMESPACE: MessageSchema = {
  1: { name: 'metadata', type: OBJECT_META },
  2: { name: 'spec', type: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
  3: { name: 'status', type: 'ignore' },
};

const CONFIG_MAP: MessageSchema = {
  1: { name: 'metadata', type: OBJECT_META },
  2: { name: 'data', type: 'map' },
  3: { name: 'binaryData', type: 'bytesMap' },
  4: { name: 'immutable', type: 'bool' },
};

const UNKNOWN: MessageSchema = {
  1: { name: 'typeMeta', type: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
  2: { name: 'raw', type: 'ignore' },
  3: { name: 'contentEncoding', type: 'string' },
  4: { name: 'contentType', type: 'string' },
};

/** The kinds whose protobuf bodies the sandbox decodes (what kubectl's typed `create` subcommands send). */
const KINDS: Readonly<Record<string, MessageSchema>> = {
  Namespace: NAMESPACE,
  Service: SERVICE,
  ConfigMap: CONFIG_MAP,
};

interface RawField {
  readonly field: number;
  readonly varint?: bigint;
  readonly bytes?: Buffer;
}

function unsupported(message: string): ApiError {
  return new ApiError(
    415,
    `the sandbox API server cannot decode this protobuf body: ${message}; send JSON (for example kubectl create -f with YAML)`,
    'UnsupportedMediaType',
  );
}

function fields(buffer: Buffer): RawField[] {
  const out: RawField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[at++];
      if (byte === undefined) throw unsupported('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const field = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ field, varint: varint() });
        break;
      case 2: {
        const length = Number(varint());
        if (at + length > buffer.length) throw unsupported('truncated field');
        out.push({ field, bytes: buffer.subarray(at, at + length) });
        at += length;
        break;
      }
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      default:
        throw unsupported(`wire type ${key & 7}`);
    }
  }
  return out;
}

function isZero(raw: RawField): boolean {
  return raw.varint === 0n || (raw.bytes !== undefined && raw.bytes.length === 0);
}

function scalar(raw: RawField, type: FieldType, where: string): Json | undefined {
  switch (type) {
    case 'string':
      return raw.bytes === undefined ? undefined : raw.bytes.toString('utf8');
    case 'bytes':
      return raw.bytes === undefined ? undefined : raw.bytes.toString('base64');
    case 'int':
      return raw.varint === undefined ? undefined : Number(BigInt.asIntN(64, raw.varint));
    case 'bool':
      return raw.varint === undefined ? undefined : raw.varint !== 0n;
    case 'intOrString': {
      const value = decodeMessage(
        raw.bytes ?? Buffer.alloc(0),
        { 1: { name: 'type', type: 'int' }, 2: { name: 'intVal', type: 'int' }, 3: { name: 'strVal', type: 'string' } },
        where,
      );
      return value['type'] === 1 ? (value['strVal'] ?? '') : (value['intVal'] ?? 0);
    }
    default:
      return typeof type === 'object' ? decodeMessage(raw.bytes ?? Buffer.alloc(0), type, where) : undefined;
  }
}

function decodeMessage(buffer: Buffer, schema: MessageSchema, where: string): JsonObject {
  const result: JsonObject = {};
  for (const raw of fields(buffer)) {
    const spec = schema[raw.field];
    if (!spec) {
      if (isZero(raw)) continue;
      throw unsupported(`field ${raw.field} of ${where} is not supported`);
    }
    if (spec.type === 'ignore') continue;
    const path = `${where}.${spec.name}`;
    if (spec.type === 'map' || spec.type === 'bytesMap') {
      const value: FieldType = spec.type === 'map' ? 'string' : 'bytes';
      const entry = decodeMessage(
        raw.bytes ?? Buffer.alloc(0),
        { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: value } },
        path,
      );
      const map = (result[spec.name] ??= {}) as JsonObject;
      map[String(entry['key'] ?? '')] = entry['value'] ?? '';
      continue;
    }
    const value = scalar(raw, spec.type, path);
    if (value === undefined) throw unsupported(`field ${path} has the wrong wire type`);
    if (spec.repeated) ((result[spec.name] ??= []) as Json[]).push(value);
    else if (value !== '' && value !== 0 && value !== false) result[spec.name] = value;
  }
  return result;
}

/** Whether a request body is a Kubernetes protobuf envelope. */
export function isProtobuf(body: Buffer): boolean {
  return body.subarray(0, 4).equals(MAGIC);
}

/** Decode the protobuf body kubectl's typed clients send (Namespace, Service, ConfigMap) into the JSON object; 415 otherwise. */
export function decodeProtobuf(body: Buffer): JsonObject {
  const envelope = fields(body.subarray(4));
  const typeMeta = decodeMessage(body.subarray(4), UNKNOWN, 'Unknown')['typeMeta'] as JsonObject | undefined;
  const kind = String(typeMeta?.['kind'] ?? '');
  const apiVersion = String(typeMeta?.['apiVersion'] ?? '');
  const schema = KINDS[kind];
  if (!schema) throw unsupported(`kind "${kind}" (only ${Object.keys(KINDS).join(', ')} are decoded)`);
  const raw = envelope.find((f) => f.field === 2)?.bytes ?? Buffer.alloc(0);
  return { kind, apiVersion, ...decodeMessage(raw, schema, kind) };
}
