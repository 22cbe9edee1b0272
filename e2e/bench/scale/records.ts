/** A kube2sky-shaped record, number `i` of a scale fill: key under /skydns (reversed labels, a hash leaf) and its JSON value. */
export function record(i: number): [string, string] {
  const ns = `scale-${i % 50}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  return [
    `/skydns/local/cluster/svc/${ns}/svc-${i}/${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}`,
    `{"host":"${ip}","priority":10,"weight":10,"ttl":30,"targetstrip":0}`,
  ];
}
