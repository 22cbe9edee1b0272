export { SandboxApiServer } from './server.js';
export type { SandboxOptions } from './server.js';
export { Faults } from './faults.js';
