import * as nodeModule from 'node:module';
import { resolve } from './slim-hooks.js';

type RegisterHooks = (hooks: { resolve: typeof resolve }) => void;

/**
 * Load client-node's KubeConfig without its generated API clients and models (see `slim-hooks.ts`).
 * Call before anything imports `@kubernetes/client-node`; kube2sky then imports only its
 * `dist/config.js` (KubeConfig) and `dist/watch.js` (Watch), never the package's index.
 */
export function slimClientNode(): void {
  // Node ≥ 22.15 runs hooks in this thread; Node 20 runs them in a loader thread of its own.
  const registerHooks = (nodeModule as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  if (registerHooks !== undefined) registerHooks({ resolve });
  else nodeModule.register(new URL('./slim-hooks.js', import.meta.url));
}
