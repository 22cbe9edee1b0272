import type { StoredRecord } from '../tree.js';

function depth(key: string): number {
  let n = 0;
  for (const c of key) if (c === '/') n++;
  return n;
}

/**
 * SkyDNS `group` filtering over one lookup's records: the shallowest grouped record decides the
 * group; ungrouped records always stay; when records at that depth disagree, everything stays.
 */
export function filterGroup(records: StoredRecord[]): StoredRecord[] {
  const first = records[0];
  if (first === undefined || !records.some((r) => r.record.group !== undefined && r.record.group !== ''))
    return records;
  let group = first.record.group ?? '';
  let level = depth(first.key);
  for (const r of records) {
    const d = depth(r.key);
    if (d < level) {
      const g = r.record.group ?? '';
      if (g === '') break;
      group = g;
      level = d;
    }
  }
  if (group === '') return records;
  for (const r of records) {
    const g = r.record.group ?? '';
    if (depth(r.key) === level && g !== '' && g !== group) return records;
  }
  return records.filter((r) => {
    const g = r.record.group ?? '';
    return g === '' || g === group;
  });
}
