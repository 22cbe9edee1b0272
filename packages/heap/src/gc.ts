import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * Run a full garbage collection now, so that memory freed after a burst of work (the initial lists
 * and sync) goes back to the system at once rather than whenever V8's idle-time reducer gets to it.
 * This one collection also compacts the old generation: the pages a burst leaves partly used are
 * emptied and released (skydns at 120,004 records: V8 heap committed 12.0–15.7 MiB → 11.5–12.0
 * for the same 9.3 used, RSS 69.5–74.8 → 69.3–70.9 MiB).
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  setFlagsFromString('--compact-on-every-full-gc');
  collect();
  setFlagsFromString('--no-compact-on-every-full-gc');
}
