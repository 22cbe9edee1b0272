import { RecordTree } from '../tree.js';

/** Why a hold ended: the refill went quiet, or it lasted the longest hold allowed. */
export type HoldEnd = 'quiet' | 'max-hold';

/** How long a hold lasts. */
export interface HoldTimes {
  /** Switch once this long has passed without a change after the refill began (ms). */
  readonly quietMs: number;
  /** Switch after this long whatever happens (ms). */
  readonly maxMs: number;
}

/**
 * A new tree being filled in the background while the last good one keeps serving: used when
 * etcd comes back behind the data we hold (restored or wiped) and kube2sky is rewriting it. It ends
 * `quietMs` after the last change once changes have begun (an empty etcd must not be switched to
 * before its refill starts), or `maxMs` after it began.
 */
export class Hold {
  /** The tree being refilled (replaced by each re-list during the hold). */
  tree = new RecordTree();
  /** ms timestamp when the hold began. */
  readonly since = Date.now();
  /** Changes applied to the new tree since the hold began. */
  changes = 0;
  private quietTimer: NodeJS.Timeout | undefined;
  private readonly maxTimer: NodeJS.Timeout;

  constructor(
    private readonly times: HoldTimes,
    private readonly end: (reason: HoldEnd) => void,
  ) {
    this.maxTimer = setTimeout(() => this.finish('max-hold'), times.maxMs);
  }

  /** Record `count` changes applied to the new tree (restarts the quiet period). */
  changed(count: number): void {
    if (count === 0) return;
    this.changes += count;
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.finish('quiet'), this.times.quietMs);
  }

  /** Stop the timers without ending the hold (the store is stopping). */
  cancel(): void {
    clearTimeout(this.quietTimer);
    clearTimeout(this.maxTimer);
  }

  private finish(reason: HoldEnd): void {
    this.cancel();
    this.end(reason);
  }
}
