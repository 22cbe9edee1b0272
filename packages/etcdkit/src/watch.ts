import { Backoff, type BackoffOptions } from '@kube-dns-legacy/processkit';
import type { Etcd3, IWatchResponse } from 'etcd3';

/** What a watch reports while it runs. */
export interface WatchEvents {
  /** The watch is (re)connected; `revision` is etcd's current revision. Return false to end the watch. */
  connected(revision: number): boolean;
  /** The connection was lost; the client reconnects on its own. */
  disconnected(err: Error): void;
  /** Changes arrived. */
  data(res: IWatchResponse): void;
}

/** How a watch ended: cancelled by us, or ended by etcd or an error (a fresh read is needed). */
export type WatchEnd = { readonly by: 'caller' } | { readonly by: 'etcd'; readonly error: Error | undefined };

/** A running watch. */
export interface PrefixWatch {
  /** Resolves once, when the watch ended. */
  readonly ended: Promise<WatchEnd>;
  /** End the watch (resolves {@link ended} with `by: 'caller'`). */
  stop(): void;
}

/** Watch every key under `prefix` from `revision` on (the one after a read), until etcd ends it or {@link PrefixWatch.stop}. */
export function watchPrefix(client: Etcd3, prefix: string, revision: number, events: WatchEvents): PrefixWatch {
  const watcher = client.watch().prefix(prefix).startRevision(String(revision)).watcher();
  let finish: (end: WatchEnd) => void = () => undefined;
  const ended = new Promise<WatchEnd>((resolve) => {
    let finished = false;
    finish = (end) => {
      if (finished) return;
      finished = true;
      watcher.removeAllListeners();
      watcher.on('error', () => undefined);
      void watcher.cancel().catch(() => undefined);
      resolve(end);
    };
  });
  watcher.on('connected', (res) => {
    if (!events.connected(Number(res.header.revision))) finish({ by: 'caller' });
  });
  watcher.on('disconnected', (err: Error) => events.disconnected(err));
  watcher.on('data', (res) => events.data(res));
  watcher.on('error', (err: Error) => finish({ by: 'etcd', error: err }));
  watcher.on('end', () => finish({ by: 'etcd', error: undefined }));
  return { ended, stop: () => finish({ by: 'caller' }) };
}

/** A loop of read-then-watch rounds, retried with back-off until stopped. */
export interface ReadWatchLoop {
  /** Stop: wakes a sleeping retry; resolves when the current round has returned. */
  stop(): Promise<void>;
}

/**
 * Run `round` (read, then watch until the watch ends) again and again until stopped; a round that
 * throws is retried after the next back-off delay (`onError` gets the error and the failures in a
 * row), one that returns resets the back-off and starts again at once.
 */
export function readWatchLoop(
  round: () => Promise<void>,
  backoff: BackoffOptions,
  onError: (err: Error, failures: number) => void,
): ReadWatchLoop {
  const delays = new Backoff(backoff);
  let stopped = false;
  let wake: () => void = () => undefined;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async (): Promise<void> => {
    while (!stopped) {
      try {
        await round();
        delays.reset();
      } catch (err) {
        if (stopped) break;
        onError(err as Error, delays.attempt + 1);
        await sleep(delays.next());
      }
    }
  })();
  return {
    async stop(): Promise<void> {
      stopped = true;
      wake();
      await loop;
    },
  };
}
