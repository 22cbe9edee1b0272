import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
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

/** What each of the pod's ports is for (for error messages). */
const PORT_NAMES: ReadonlyMap<number, string> = new Map([
  [POD_PORTS.dns, 'DNS'],
  [POD_PORTS.etcd, 'etcd'],
  [POD_PORTS.etcdLegacy, 'etcd (legacy client port)'],
  [POD_PORTS.etcdPeer, 'etcd peer'],
  [POD_PORTS.healthz, 'healthz'],
  [POD_PORTS.readiness, 'kube2sky readiness'],
  [POD_PORTS.metrics, 'skydns metrics'],
  [API_PORT, 'API server'],
]);

function probe(bind: (done: (err?: Error) => void) => void): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => bind((err) => resolve(err as NodeJS.ErrnoException | undefined)));
}

/** Whether 127.0.0.1:`port` can be bound now (TCP, and UDP with `udp`); the error when it cannot. */
async function bindable(port: number, udp: boolean): Promise<NodeJS.ErrnoException | undefined> {
  const tcp = await probe((done) => {
    const server = createServer();
    server.once('error', done);
    server.listen(port, '127.0.0.1', () => server.close(() => done()));
  });
  if (tcp !== undefined || !udp) return tcp;
  return probe((done) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      done(err);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => done()));
  });
}

/**
 * Fail at once, with the hint, when a port the pod would listen on is taken (another `npm run up`,
 * a local resolver on the DNS port): otherwise the pod's own processes crash-loop while its
 * readiness check talks to the other instance.
 */
export async function assertPortsFree(ports: PortMap, skip: readonly number[] = []): Promise<void> {
  for (const [podPort, local] of ports) {
    if (skip.includes(podPort)) continue;
    const err = await bindable(local, podPort === POD_PORTS.dns);
    if (err === undefined) continue;
    const what = PORT_NAMES.get(podPort) ?? `pod port ${podPort}`;
    const why =
      err.code === 'EADDRINUSE' ? 'is in use (another "npm run up"?)' : `cannot be bound (${err.code ?? err.message})`;
    throw new Error(
      `127.0.0.1:${local} for ${what} ${why}; stop whatever holds it, or run "npm run up -- --free-ports"`,
    );
  }
}
