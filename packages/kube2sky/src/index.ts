export { parseKube2skyArgs, Kube2skyArgsError, type Kube2skyConfig } from './cli.js';
export { serviceRecords, isHeadless } from './records/service.js';
export { podRecords } from './records/pod.js';
export { versionRecords } from './records/version.js';
export type { RecordContext, RecordSet } from './records/types.js';
export { abbreviationsFor, RecordTable, valueHash } from './record-table.js';
