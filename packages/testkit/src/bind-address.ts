import { networkInterfaces } from 'node:os';
import { freePort } from './ports.js';
import type { ManagedProcess } from './process.js';

/** Whether a server answered an HTTP GET on loopback and on this machine's non-loopback IPv4 address. */
export interface Reach {
  readonly loopback: boolean;
  readonly outside: boolean;
}

/** A non-loopback IPv4 address of this machine (the tests' machines have one); throws when there is none. */
export function outsideAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  if (address === undefined) throw new Error('this test needs a non-loopback IPv4 address');
  return address;
}

/**
 * Where an HTTP server listens with and without its bind-address flag: `start` starts it on `port`
 * (with the flag set to `bind`, or without the flag when `bind` is undefined); once its output
 * matches `ready`, `path` is fetched on loopback and on {@link outsideAddress}. The result is keyed
 * by `bind` (`default` for none); each process is killed after its look.
 */
export async function reachByBindAddress(
  binds: ReadonlyArray<string | undefined>,
  path: string,
  ready: RegExp,
  start: (port: number, bind: string | undefined) => ManagedProcess,
): Promise<Record<string, Reach>> {
  const outside = outsideAddress();
  const reachable = (host: string, port: number): Promise<boolean> =>
    fetch(`http://${host}:${port}${path}`).then(
      () => true,
      () => false,
    );
  const result: Record<string, Reach> = {};
  for (const bind of binds) {
    const port = await freePort();
    const proc = start(port, bind);
    try {
      await proc.waitForOutput(ready);
      result[bind ?? 'default'] = {
        loopback: await reachable('127.0.0.1', port),
        outside: await reachable(outside, port),
      };
    } finally {
      await proc.stop('SIGKILL');
    }
  }
  return result;
}
