import type { JsonObject } from './json.js';

/** The reason strings of Kubernetes Status objects for each HTTP code we answer with. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** One field problem of a 422 Invalid answer. */
export interface FieldCause {
  /** The field path, such as `spec.clusterIP`. */
  field: string;
  /** The human message. */
  message: string;
  /** The machine reason, such as `FieldValueInvalid`. */
  reason: string;
}

/** An API failure carried to the HTTP edge and answered as a `Status` object. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = REASONS[code] ?? 'Unknown',
    readonly details?: JsonObject,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The `Status` body of this error. */
  toStatus(): JsonObject {
    return failureStatus(this.code, this.message, this.reason, this.details);
  }
}

/** A `Status` object with status Failure. */
export function failureStatus(
  code: number,
  message: string,
  reason: string = REASONS[code] ?? 'Unknown',
  details?: JsonObject,
): JsonObject {
  const status: JsonObject = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status['details'] = details;
  return status;
}

/** A `Status` object with status Success, as answered for some deletions. */
export function successStatus(details: JsonObject): JsonObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** 404 for a missing object: `services "x" not found`. */
export function notFound(resource: string, name: string, group = ''): ApiError {
  const what = group ? `${resource}.${group}` : resource;
  return new ApiError(404, `${what} "${name}" not found`, 'NotFound', { name, group, kind: resource });
}

/** 409 for a name already taken: `services "x" already exists`. */
export function alreadyExists(resource: string, name: string, group = ''): ApiError {
  const what = group ? `${resource}.${group}` : resource;
  return new ApiError(409, `${what} "${name}" already exists`, 'AlreadyExists', { name, group, kind: resource });
}

/** 409 for a stale resourceVersion on update. */
export function conflict(resource: string, name: string, group = ''): ApiError {
  const what = group ? `${resource}.${group}` : resource;
  return new ApiError(
    409,
    `Operation cannot be fulfilled on ${what} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    'Conflict',
    { name, group, kind: resource },
  );
}

/** 422 Invalid listing every field problem, worded as the real API server does. */
export function invalid(kind: string, name: string, causes: readonly FieldCause[], group = ''): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const joined = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(422, `${kind} "${name}" is invalid: ${joined}`, 'Invalid', {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}

/** 410 for a watch from a resourceVersion older than the kept history. */
export function expired(requested: number, oldest: number): ApiError {
  return new ApiError(410, `too old resource version: ${requested} (${oldest})`, 'Expired');
}
