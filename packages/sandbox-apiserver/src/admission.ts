import { isIP } from 'node:net';
import type { JsonObject } from './json.js';
import { asArray, asObject, asString, deepEqual, isObject } from './json.js';
import type { NameRule } from './names.js';
import { nameProblem } from './names.js';
import type { ResourceDef } from './resources.js';
import { microTimeUtc } from './shape.js';
import type { FieldCause } from './status.js';

/** The rule the object name of each kind must follow. */
const NAME_RULES: Readonly<Record<string, NameRule>> = {
  Namespace: 'label1123',
  Service: 'label1035',
  Endpoints: 'subdomain',
  Pod: 'subdomain',
  EndpointSlice: 'subdomain',
  ConfigMap: 'subdomain',
  Lease: 'subdomain',
};

/** A ConfigMap's data and binaryData together may hold at most 1 MiB (core.MaxSecretSize). */
const MAX_CONFIG_MAP_BYTES = 1024 * 1024;

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function invalidValue(field: string, value: unknown, message: string): FieldCause {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${message}` };
}

function required(field: string, message = ''): FieldCause {
  return { field, reason: 'FieldValueRequired', message: message ? `Required value: ${message}` : 'Required value' };
}

/** Default a port list's protocol to TCP and check numbers, protocols and (for several ports) names. */
function ports(list: unknown, path: string, portField: string, needNames: boolean, causes: FieldCause[]): void {
  const items = asArray(list);
  const names = new Set<string>();
  items.forEach((item, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(item)) {
      causes.push(invalidValue(at, item, 'must be an object'));
      return;
    }
    item['protocol'] ??= 'TCP';
    if (!PROTOCOLS.includes(String(item['protocol']))) {
      causes.push({
        field: `${at}.protocol`,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(item['protocol'])}: supported values: "SCTP", "TCP", "UDP"`,
      });
    }
    const port = item[portField];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      causes.push(invalidValue(`${at}.${portField}`, port ?? 0, 'must be between 1 and 65535, inclusive'));
    }
    const name = asString(item['name']) ?? '';
    if (name === '' && needNames && items.length > 1) causes.push(required(`${at}.name`));
    if (name !== '') {
      const problem = nameProblem(name, 'label1123');
      if (problem) causes.push(invalidValue(`${at}.name`, name, problem));
      if (names.has(name))
        causes.push({
          field: `${at}.name`,
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: ${JSON.stringify(name)}`,
        });
      names.add(name);
    }
  });
}

function service(object: JsonObject, causes: FieldCause[]): void {
  const spec = asObject(object['spec']);
  object['spec'] = spec;
  spec['type'] ??= 'ClusterIP';
  const type = spec['type'];
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
    causes.push({
      field: 'spec.type',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
    });
  }
  if (type === 'ExternalName') {
    if (!asString(spec['externalName'])) causes.push(required('spec.externalName'));
  } else {
    spec['sessionAffinity'] ??= 'None';
    spec['internalTrafficPolicy'] ??= 'Cluster';
  }
  for (const port of asArray(spec['ports']))
    if (isObject(port) && port['targetPort'] === undefined) port['targetPort'] = port['port'] ?? 0;
  ports(spec['ports'], 'spec.ports', 'port', true, causes);
  const headless = spec['clusterIP'] === 'None';
  if (asArray(spec['ports']).length === 0 && !headless && type !== 'ExternalName') causes.push(required('spec.ports'));
  object['status'] = isObject(object['status']) ? object['status'] : { loadBalancer: {} };
}

function endpoints(object: JsonObject, causes: FieldCause[]): void {
  asArray(object['subsets']).forEach((subset, s) => {
    const sub = asObject(subset);
    for (const field of ['addresses', 'notReadyAddresses']) {
      asArray(sub[field]).forEach((address, a) => {
        const ip = asString(asObject(address)['ip']) ?? '';
        if (!isIP(ip))
          causes.push(
            invalidValue(
              `subsets[${s}].${field}[${a}].ip`,
              ip,
              'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
            ),
          );
      });
    }
    ports(sub['ports'], `subsets[${s}].ports`, 'port', true, causes);
  });
}

function endpointSlice(object: JsonObject, causes: FieldCause[]): void {
  const type = object['addressType'];
  if (type === undefined) causes.push(required('addressType'));
  else if (!['IPv4', 'IPv6', 'FQDN'].includes(String(type))) {
    causes.push({
      field: 'addressType',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(type)}: supported values: "FQDN", "IPv4", "IPv6"`,
    });
  }
  if (object['endpoints'] === undefined) object['endpoints'] = null;
  asArray(object['endpoints']).forEach((endpoint, e) => {
    const addresses = asArray(asObject(endpoint)['addresses']);
    if (addresses.length === 0) causes.push(required(`endpoints[${e}].addresses`, 'must contain at least 1 address'));
    addresses.forEach((address, a) => {
      const text = asString(address) ?? '';
      const family = isIP(text);
      if ((type === 'IPv4' && family !== 4) || (type === 'IPv6' && family !== 6)) {
        causes.push(invalidValue(`endpoints[${e}].addresses[${a}]`, text, `must be a valid ${String(type)} address`));
      }
    });
  });
  for (const port of asArray(object['ports'])) if (isObject(port)) port['name'] ??= '';
  ports(object['ports'], 'ports', 'port', false, causes);
}

function pod(object: JsonObject, causes: FieldCause[]): void {
  const spec = asObject(object['spec']);
  object['spec'] = spec;
  const containers = asArray(spec['containers']);
  if (containers.length === 0) causes.push(required('spec.containers'));
  containers.forEach((container, i) => {
    const c = asObject(container);
    if (!asString(c['name'])) causes.push(required(`spec.containers[${i}].name`));
    if (!asString(c['image'])) causes.push(required(`spec.containers[${i}].image`));
    c['terminationMessagePath'] ??= '/dev/termination-log';
    c['terminationMessagePolicy'] ??= 'File';
    const image = asString(c['image']) ?? '';
    c['imagePullPolicy'] ??= /:[^/]+$/.test(image) && !image.endsWith(':latest') ? 'IfNotPresent' : 'Always';
  });
  for (const field of ['hostname', 'subdomain']) {
    const value = spec[field];
    if (value !== undefined) {
      const problem = nameProblem(String(value), 'label1123');
      if (problem) causes.push(invalidValue(`spec.${field}`, value, problem));
    }
  }
  spec['restartPolicy'] ??= 'Always';
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['securityContext'] ??= {};
  const status = asObject(object['status']);
  status['phase'] ??= 'Pending';
  object['status'] = status;
}

/** Why `key` is not a valid ConfigMap (or Secret) key, in the API server's words. */
function configKeyProblems(key: string): string[] {
  const problems: string[] = [];
  if (key.length > 253) problems.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) {
    problems.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  }
  if (key === '.') problems.push("must not be '.'");
  else if (key === '..') problems.push("must not be '..'");
  else if (key.startsWith('..')) problems.push("must not start with '..'");
  return problems;
}

function configMap(object: JsonObject, causes: FieldCause[]): void {
  const data = asObject(object['data']);
  const binary = asObject(object['binaryData']);
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const problem of configKeyProblems(key)) causes.push(invalidValue(`data[${key}]`, key, problem));
    if (key in binary) causes.push(invalidValue(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(String(value));
  }
  for (const [key, value] of Object.entries(binary)) {
    for (const problem of configKeyProblems(key)) causes.push(invalidValue(`binaryData[${key}]`, key, problem));
    size += Buffer.from(String(value), 'base64').length;
  }
  if (size > MAX_CONFIG_MAP_BYTES)
    causes.push({
      field: '',
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${MAX_CONFIG_MAP_BYTES} bytes`,
    });
}

/** The update rules of an immutable ConfigMap: it stays immutable and its data stays as it is. */
function configMapUpdate(old: JsonObject, next: JsonObject): FieldCause[] {
  if (old['immutable'] !== true) return [];
  const forbidden = (field: string): FieldCause => ({
    field,
    reason: 'FieldValueForbidden',
    message: 'Forbidden: field is immutable when `immutable` is set',
  });
  const causes: FieldCause[] = [];
  if (next['immutable'] !== true) causes.push(forbidden('immutable'));
  if (!deepEqual(asObject(old['data']), asObject(next['data']))) causes.push(forbidden('data'));
  if (!deepEqual(asObject(old['binaryData']), asObject(next['binaryData']))) causes.push(forbidden('binaryData'));
  return causes;
}

function lease(object: JsonObject, causes: FieldCause[]): void {
  const spec = asObject(object['spec']);
  object['spec'] = spec;
  const duration = spec['leaseDurationSeconds'];
  if (typeof duration === 'number' && duration <= 0)
    causes.push(invalidValue('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = spec['leaseTransitions'];
  if (typeof transitions === 'number' && transitions < 0)
    causes.push(invalidValue('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  // MicroTime is stored as the API server writes it: UTC, six fraction digits (checkShape made sure it parses).
  for (const field of ['acquireTime', 'renewTime']) {
    const value = spec[field];
    if (typeof value === 'string') spec[field] = microTimeUtc(value);
  }
}

function namespace(object: JsonObject): void {
  const meta = asObject(object['metadata']);
  const name = asString(meta['name']) ?? '';
  meta['labels'] = { ...asObject(meta['labels']), 'kubernetes.io/metadata.name': name };
  object['metadata'] = meta;
  object['spec'] = { finalizers: ['kubernetes'], ...asObject(object['spec']) };
  object['status'] = { phase: 'Active', ...asObject(object['status']) };
}

/** Apply the API server's defaults to `object` in place and return every validation problem of its kind. */
export function admit(def: ResourceDef, object: JsonObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = asString(asObject(object['metadata'])['name']) ?? '';
  const rule = NAME_RULES[def.kind] ?? 'subdomain';
  const problem = nameProblem(name, rule);
  if (problem) causes.push(invalidValue('metadata.name', name, problem));
  switch (def.kind) {
    case 'Service':
      service(object, causes);
      break;
    case 'Endpoints':
      endpoints(object, causes);
      break;
    case 'EndpointSlice':
      endpointSlice(object, causes);
      break;
    case 'Pod':
      pod(object, causes);
      break;
    case 'Namespace':
      namespace(object);
      break;
    case 'ConfigMap':
      configMap(object, causes);
      break;
    case 'Lease':
      lease(object, causes);
      break;
  }
  return causes;
}

/** The rules only an update checks (old against new), such as an immutable ConfigMap's data; returns the problems. */
export function admitUpdate(def: ResourceDef, old: JsonObject, next: JsonObject): FieldCause[] {
  return def.kind === 'ConfigMap' ? configMapUpdate(old, next) : [];
}
