/** The module `@kubernetes/client-node/dist/config.js` (KubeConfig), whose `./gen/index.js` import is redirected. */
const CONFIG_MODULE = '/@kubernetes/client-node/dist/config.js';
/** The slim barrel that replaces it there. */
const SLIM_GEN = new URL('./slim-gen.js', import.meta.url).href;

/** What a module resolve hook receives about the importing module. */
interface ResolveContext {
  readonly parentURL?: string;
}

/**
 * Module resolve hook (for `module.register` and `module.registerHooks`): client-node's KubeConfig
 * module imports its generated-code barrel, which loads every API group's client and model (about
 * 65 MB of memory kube2sky never uses); that one import is answered with `slim-gen.js` instead.
 */
export function resolve<R>(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => R,
): R | { url: string; shortCircuit: true } {
  if (specifier === './gen/index.js' && context.parentURL?.endsWith(CONFIG_MODULE) === true)
    return { url: SLIM_GEN, shortCircuit: true };
  return nextResolve(specifier, context);
}
