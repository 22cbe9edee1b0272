import { Backoff, type BackoffOptions } from '@kube-dns-legacy/processkit';
import type { EtcdClient } from './client.js';
import { prefixRangeEnd, type WatchResponse } from './types.js';

/** What a watch reports while it runs. */
export interface WatchEvents {
  /** The watch is (re)connected; `revision` is etcd's current revision. Return false to end the watch. */
  connected(revision: number): boolean;
  /** The connection was lost; the client reconnects on its own. */
  disconnected(err: Error): void;
  /** Changes arrived. */
  data(res: WatchResponse): void;
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
export function watchPrefix(client: EtcdClient, prefix: string, revision: number, events: WatchEvents): PrefixWatch {
  let finish: (end: WatchEnd) => void = () => undefined;
  let watch: { cancel(): void } | undefined;
  const ended = new Promise<WatchEnd>((resolve) => {
    let finished = false;
    finish = (end) => {
      if (finished) return;
      finished = true;
      watch?.cancel();
      resolve(end);
    };
  });
  watch = client.watch(
    { key: prefix, rangeEnd: prefixRangeEnd(prefix), startRevision: revision },
    {
      created: (header) => {
        if (!events.connected(header.revision)) finish({ by: 'caller' });
      },
      disconnected: (err) => events.disconnected(err),
      data: (res) => events.data(res),
      ended: (err) => finish({ by: 'etcd', error: err }),
    },
  );
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
