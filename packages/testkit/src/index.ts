export { EtcdServer, parseEtcdctlGet } from './etcd.js';
export { ManagedProcess } from './process.js';
export { freePort, freeDnsPort } from './ports.js';
export { requireTool } from './tools.js';
export { waitFor } from './wait.js';
export { seededRandom } from './random.js';
export { EtcdCluster } from './etcd-cluster.js';
export { makeTestCertificates, type TestCertificates } from './certificates.js';
export { dig, type DigResult } from './dig.js';
