export { SandboxApiServer } from './server.js';
export type { SandboxOptions, ServiceAccountFiles } from './server.js';
export { Faults } from './faults.js';
