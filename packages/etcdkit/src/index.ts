export { connectEtcd, type EtcdConnection } from './client.js';
export { readPrefix, type PageOptions, type ReadRevision } from './prefix.js';
export {
  readWatchLoop,
  watchPrefix,
  type PrefixWatch,
  type ReadWatchLoop,
  type WatchEnd,
  type WatchEvents,
} from './watch.js';
