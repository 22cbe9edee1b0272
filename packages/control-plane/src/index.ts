export { ControlPlane, CONTROLLERS, type ControlPlaneOptions, type ServiceAccountFiles } from './control-plane.js';
export { goBinDir, repoRoot } from './binaries.js';
