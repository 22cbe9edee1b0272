export { ControlPlane, CONTROLLERS, type ControlPlaneOptions, type ServiceAccountFiles } from './control-plane.js';
export { CoreDns } from './coredns.js';
export { goBinDir, repoRoot } from './binaries.js';
