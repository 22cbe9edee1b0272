// The dependency rules of the house (DESIGN.md, "One direction"), checked by `npm test` (testkit's
// test script runs `depcruise` over the packages' sources). By hand, from the root:
//   npx depcruise --config .dependency-cruiser.cjs packages/*/src
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A module never imports itself back through others: each layer sits below the ones that use it.',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
    {
      name: 'resolve-is-pure',
      severity: 'error',
      comment:
        'skydns resolve/ decides from the records alone: nothing from the handler, server, forward, caches, encoder, store or process.',
      from: { path: '^packages/skydns/src/resolve/', pathNot: '[.]test[.]ts$' },
      to: {
        path: '^packages/skydns/src/',
        pathNot: ['^packages/skydns/src/resolve/', '^packages/skydns/src/(rr|tree|sorted-keys|dns-codes)[.]ts$'],
      },
    },
    {
      name: 'dns-codes-is-a-leaf',
      severity: 'error',
      comment: 'The DNS numbers import nothing.',
      from: { path: '^packages/skydns/src/dns-codes[.]ts$' },
      to: {},
    },
    {
      name: 'wire-and-encode-below-the-pipeline',
      severity: 'error',
      comment: 'The parser and the writer know nothing of the steps that use them.',
      from: { path: '^packages/skydns/src/(wire|encode|byte-writer)[.]ts$' },
      to: { path: '^packages/skydns/src/(handler|server|app|main|answer-cache|forward/|store/|metrics)' },
    },
    {
      name: 'skymsg-imports-no-package-of-ours',
      severity: 'error',
      comment: 'The record contract stands alone.',
      from: { path: '^packages/skymsg/src/' },
      to: { path: '^packages/(?!skymsg/)' },
    },
    {
      name: 'shared-packages-know-no-process',
      severity: 'error',
      comment: 'etcdkit and processkit are below kube2sky and skydns.',
      from: { path: '^packages/(etcdkit|processkit)/src/' },
      to: { path: '^packages/(skydns|kube2sky)/' },
    },
    {
      name: 'processes-do-not-import-each-other',
      severity: 'error',
      comment: 'kube2sky and skydns meet only in etcd (and skymsg).',
      from: { path: '^packages/(skydns|kube2sky)/src/' },
      to: { path: '^packages/(skydns|kube2sky)/', pathNot: '^packages/$1/' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      comment:
        "The shipped packages (the images' executables and what they import) import no test file, test helper or testkit; the test tools (local-pod, control-plane, sandbox-apiserver) may.",
      from: {
        path: '^packages/(skydns|kube2sky|exechealthz|skymsg|goflags|heap|etcdkit|processkit)/src/',
        pathNot: ['[.]test[.]ts$', '^packages/(skydns|kube2sky)/src/testing[.]ts$'],
      },
      to: { path: ['[.]test[.]ts$', '^packages/(skydns|kube2sky)/src/testing[.]ts$', '^packages/testkit/'] },
    },
  ],
  options: {
    // Another workspace package resolves to its dist/ (through node_modules): seen, not followed.
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    tsPreCompilationDeps: true,
    parser: 'swc',
    combinedDependencies: false,
  },
};
