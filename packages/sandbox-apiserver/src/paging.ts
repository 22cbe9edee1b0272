import { ApiError } from './status.js';

/** Where a paged list resumes: the resourceVersion of its first page and the `namespace/name` after which the next page starts. */
export interface ContinuePoint {
  readonly rv: number;
  readonly after: string;
}

/** A list request's `limit` (undefined when absent or 0: no limit); a 400 ApiError when it is not a non-negative integer. */
export function parseLimit(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (!/^[0-9]+$/.test(raw)) throw new ApiError(400, `limit: Invalid value: "${raw}": must be a non-negative integer`);
  const limit = Number(raw);
  return limit === 0 ? undefined : limit;
}

/** The `continue` token of a page that ends at `lastId` (the API server's shape: base64 JSON with the version, rv and start key). */
export function encodeContinue(rv: number, lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastId}\u0000` })).toString('base64');
}

/** Decode a `continue` token; a 400 ApiError when it is not one of ours. */
export function decodeContinue(token: string): ContinuePoint {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      v?: unknown;
      rv?: unknown;
      start?: unknown;
    };
    if (
      parsed.v === 'meta.k8s.io/v1' &&
      typeof parsed.rv === 'number' &&
      Number.isInteger(parsed.rv) &&
      parsed.rv > 0 &&
      typeof parsed.start === 'string' &&
      parsed.start.endsWith('\u0000')
    ) {
      return { rv: parsed.rv, after: parsed.start.slice(0, -1) };
    }
  } catch {
    // fall through
  }
  throw new ApiError(400, 'continue key is not valid: invalid continue token');
}

/** The 410 answered when a continue token's resourceVersion is older than the kept history (the real API server's words). */
export function continueExpired(): ApiError {
  return new ApiError(
    410,
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    'Expired',
  );
}
