export {
  EtcdEndpointError,
  redactEtcdUrl,
  redactEtcdUrls,
  splitEtcdCredentials,
  type EtcdAuth,
  type EtcdEndpoints,
} from './endpoints.js';
export {
  connectEtcd,
  EtcdClient,
  EtcdError,
  type EtcdConnection,
  type EtcdWatch,
  type WatchHandlers,
  type WatchRequest,
} from './client.js';
export {
  prefixRangeEnd,
  type CallOptions,
  type KeyValue,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
  type WatchEvent,
  type WatchResponse,
} from './types.js';
export { readPrefix, type PageOptions, type ReadRevision } from './prefix.js';
export {
  readWatchLoop,
  watchPrefix,
  type PrefixWatch,
  type ReadWatchLoop,
  type WatchEnd,
  type WatchEvents,
} from './watch.js';
