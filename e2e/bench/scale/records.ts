import type { EtcdClient } from '@kube-dns-legacy/etcdkit';

/** A kube2sky-shaped record, number `i` of a scale fill: key under /skydns (reversed labels, a hash leaf) and its JSON value. */
export function record(i: number): [string, string] {
  const ns = `scale-${i % 50}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  return [
    `/skydns/local/cluster/svc/${ns}/svc-${i}/${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}`,
    `{"host":"${ip}","priority":10,"weight":10,"ttl":30,"targetstrip":0}`,
  ];
}

/** Write records 0 … `count` - 1 to etcd, 128 to a transaction. */
export async function writeRecords(client: EtcdClient, count: number): Promise<void> {
  for (let i = 0; i < count; i += 128) {
    const puts: Array<[string, string]> = [];
    for (let k = i; k < Math.min(count, i + 128); k++) puts.push(record(k));
    await client.txn(puts, []);
  }
}
