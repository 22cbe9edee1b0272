export {
  EtcdEndpointError,
  redactEtcdUrl,
  redactEtcdUrls,
  splitEtcdCredentials,
  type EtcdAuth,
  type EtcdEndpoints,
} from './endpoints.js';
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
