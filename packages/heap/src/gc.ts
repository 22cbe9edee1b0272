import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * Run a full garbage collection now, so that memory freed after a burst of work (the initial lists
 * and sync) goes back to the system at once rather than whenever V8's idle-time reducer gets to it.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
