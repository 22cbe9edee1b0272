// What client-node's config.js imports from its generated-code barrel (`./gen/index.js`), without the
// rest of that barrel: every API group's client and model. KubeConfig needs only these two names.
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
