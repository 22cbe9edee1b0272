import type { ResourceDef } from './resources.js';

/** A request for a resource: its group version's resources already resolved. */
export interface ResourceRoute {
  /** The resource. */
  readonly def: ResourceDef;
  /** The namespace from the path, or undefined when the path has none. */
  readonly namespace: string | undefined;
  /** The object name, or undefined for a collection. */
  readonly name: string | undefined;
  /** The subresource (`status`), or ''. */
  readonly subresource: string;
}

/** Parse the part of a path after `/api/v1` or `/apis/<group>/<version>`; undefined when nothing matches. */
export function parseResourcePath(
  segments: readonly string[],
  defs: readonly ResourceDef[],
): ResourceRoute | undefined {
  const find = (plural: string | undefined): ResourceDef | undefined => defs.find((d) => d.plural === plural);
  const [first, second, third, fourth, fifth, ...rest] = segments;
  if (rest.length > 0) return undefined;
  if (first === 'namespaces' && second !== undefined && third !== undefined) {
    const inner = find(third);
    if (inner?.namespaced) return { def: inner, namespace: second, name: fourth, subresource: fifth ?? '' };
  }
  const def = find(first);
  if (!def || fourth !== undefined) return undefined;
  if (def.namespaced && second !== undefined) return undefined;
  return { def, namespace: undefined, name: second, subresource: third ?? '' };
}
