import type { JsonObject } from './json.js';
import type { ResourceDef } from './resources.js';
import { VERBS } from './resources.js';

/** The version the sandbox reports at /version. */
export const SERVER_VERSION: JsonObject = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** `/api`: the core group's versions. */
export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** An APIResourceList for one group version, with status subresources where they exist. */
export function resourceList(groupVersion: string, defs: readonly ResourceDef[]): JsonObject {
  const resources: JsonObject[] = [];
  for (const def of defs) {
    const entry: JsonObject = {
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: [...VERBS],
    };
    if (def.shortNames.length > 0) entry['shortNames'] = [...def.shortNames];
    if (def.categories.length > 0) entry['categories'] = [...def.categories];
    resources.push(entry);
    if (def.statusSubresource)
      resources.push({
        name: `${def.plural}/status`,
        singularName: '',
        namespaced: def.namespaced,
        kind: def.kind,
        verbs: ['get', 'patch', 'update'],
      });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** One APIGroup document (for `/apis/<group>` and inside the group list). */
export function apiGroup(group: string, version: string): JsonObject {
  const gv = { groupVersion: `${group}/${version}`, version };
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [gv], preferredVersion: gv };
}

/** `/apis`: the named groups served. */
export function apiGroupList(groups: readonly JsonObject[]): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((g) => ({
      name: g['name'] ?? null,
      versions: g['versions'] ?? [],
      preferredVersion: g['preferredVersion'] ?? null,
    })),
  };
}
