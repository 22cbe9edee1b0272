import { freeDnsPort, freePort } from '@kube-dns-legacy/testkit';
import { POD_PORTS, type PortMap } from './plan.js';

/** The sandbox API server's port in the pod's port map. */
export const API_PORT = 6443;

/** The local DNS port when none is given: 53 needs privileges and is often taken by a local resolver. */
export const DEFAULT_DNS_PORT = 10053;

/** Local ports for the pod's ports: the manifest's own (DNS on 10053), or free ones with `free`. */
export async function choosePorts(free: boolean, dnsPort: number | undefined): Promise<PortMap> {
  const ports = new Map<number, number>();
  for (const port of [...Object.values(POD_PORTS), API_PORT]) ports.set(port, free ? await freePort() : port);
  ports.set(POD_PORTS.dns, dnsPort ?? (free ? await freeDnsPort() : DEFAULT_DNS_PORT));
  return ports;
}
