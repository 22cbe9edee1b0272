export { parseSkydnsArgs, parseSkydnsArgsWithWarnings } from './cli.js';
export { applyEtcdConfig, ConfigError, SKYDNS_VERSION, type SkydnsConfig } from './config.js';
export { startSkydns, type RunningSkydns } from './app.js';
export { RecordTree, type RecordSource, type StoredRecord } from './tree.js';
export { resolveQuery, type Query } from './resolve/index.js';
export { formatRr, type Rr } from './rr.js';
