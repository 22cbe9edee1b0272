import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
  type V1ServiceSpec,
} from '@kubernetes/client-node';
import { requireTool } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';

const run = promisify(execFile);

async function failure(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
    return { code: 200, message: '' };
  } catch (err) {
    const { code, body } = err as { code?: number; body?: string };
    return { code: code ?? -1, message: String((JSON.parse(body ?? '{}') as { message?: string }).message) };
  }
}

function service(name: string, spec: V1ServiceSpec = {}): V1Service {
  return { metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }], ...spec } };
}

/** What the allocation decided: [clusterIP, clusterIPs, ipFamilies, ipFamilyPolicy]. */
function families(
  svc: V1Service,
): [string | undefined, string[] | undefined, string[] | undefined, string | undefined] {
  return [svc.spec?.clusterIP, svc.spec?.clusterIPs, svc.spec?.ipFamilies, svc.spec?.ipFamilyPolicy];
}

function client(api: SandboxApiServer): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  return kc.makeApiClient(CoreV1Api);
}

describe('a dual-stack service range (10.0.0.0/24,fd00:10::/108)', () => {
  let api: SandboxApiServer;
  let core: CoreV1Api;
  const create = (svc: V1Service): Promise<V1Service> =>
    core.createNamespacedService({ namespace: 'default', body: svc });

  before(async () => {
    api = await SandboxApiServer.start({ serviceCidr: '10.0.0.0/24,fd00:10::/108' });
    core = client(api);
  });
  after(async () => {
    await api.stop();
  });

  it('gives default/kubernetes and SingleStack services one address of the first family', async () => {
    assert.deepEqual(families(await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' })), [
      '10.0.0.1',
      ['10.0.0.1'],
      ['IPv4'],
      'SingleStack',
    ]);
    assert.deepEqual(families(await create(service('single'))), ['10.0.0.2', ['10.0.0.2'], ['IPv4'], 'SingleStack']);
    assert.deepEqual(families(await create(service('six', { ipFamilies: ['IPv6'] }))), [
      'fd00:10::1',
      ['fd00:10::1'],
      ['IPv6'],
      'SingleStack',
    ]);
  });

  it('gives PreferDualStack and RequireDualStack one address of each family, ordered by ipFamilies', async () => {
    assert.deepEqual(families(await create(service('prefer', { ipFamilyPolicy: 'PreferDualStack' }))), [
      '10.0.0.3',
      ['10.0.0.3', 'fd00:10::2'],
      ['IPv4', 'IPv6'],
      'PreferDualStack',
    ]);
    assert.deepEqual(
      families(await create(service('require6', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] }))),
      ['fd00:10::3', ['fd00:10::3', '10.0.0.4'], ['IPv6', 'IPv4'], 'RequireDualStack'],
    );
    assert.deepEqual(
      families(
        await create(service('two-families', { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack' })),
      ),
      ['10.0.0.5', ['10.0.0.5', 'fd00:10::4'], ['IPv4', 'IPv6'], 'PreferDualStack'],
    );
  });

  it('takes a requested pair when it is in range and free, and says why not otherwise', async () => {
    const pair = {
      clusterIP: '10.0.0.50',
      clusterIPs: ['10.0.0.50', 'fd00:10::50'],
      ipFamilyPolicy: 'RequireDualStack',
    };
    assert.deepEqual(families(await create(service('pair', pair))), [
      '10.0.0.50',
      ['10.0.0.50', 'fd00:10::50'],
      ['IPv4', 'IPv6'],
      'RequireDualStack',
    ]);
    const taken = await failure(
      create(service('pair-again', { ...pair, clusterIP: '10.0.0.51', clusterIPs: ['10.0.0.51', 'fd00:10::50'] })),
    );
    assert.deepEqual(
      [taken.code, taken.message],
      [
        422,
        'Service "pair-again" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.51", "fd00:10::50"}: failed to allocate IP fd00:10::50: provided IP is already allocated',
      ],
    );
    assert.equal((await failure(core.readNamespacedService({ name: 'pair-again', namespace: 'default' }))).code, 404);
    assert.equal(
      (await create(service('takes-51', { clusterIP: '10.0.0.51' }))).spec?.clusterIP,
      '10.0.0.51',
      'the failed create gave 10.0.0.51 back',
    );
    const far = await failure(
      create(service('far', { ...pair, clusterIP: '10.0.0.52', clusterIPs: ['10.0.0.52', 'fd00:99::1'] })),
    );
    assert.match(
      far.message,
      /failed to allocate IP fd00:99::1: the provided IP \(fd00:99::1\) is not in the valid range. The range of valid IPs is fd00:10::\/108/,
    );
    const noPolicy = await failure(
      create(service('no-policy', { clusterIP: '10.0.0.53', clusterIPs: ['10.0.0.53', 'fd00:10::53'] })),
    );
    assert.deepEqual(
      [noPolicy.code, noPolicy.message],
      [
        422,
        `Service "no-policy" is invalid: spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified`,
      ],
    );
    const mismatch = await failure(create(service('mismatch', { clusterIP: '10.0.0.54', clusterIPs: ['10.0.0.55'] })));
    assert.match(
      mismatch.message,
      /spec\.clusterIPs: Invalid value: \[\]string\{"10\.0\.0\.55"\}: first value must match `clusterIP`/,
    );
    const onlyPlural = await failure(create(service('only-plural', { clusterIPs: ['10.0.0.56'] })));
    assert.match(onlyPlural.message, /must be empty when `clusterIP` is not specified/);
    const sameFamily = await failure(
      create(
        service('same-family', {
          ipFamilyPolicy: 'PreferDualStack',
          clusterIP: '10.0.0.57',
          clusterIPs: ['10.0.0.57', '10.0.0.58'],
        }),
      ),
    );
    assert.match(sameFamily.message, /may specify no more than one IP for each IP family/);
    const wrongOrder = await failure(
      create(
        service('wrong-order', {
          ipFamilyPolicy: 'PreferDualStack',
          ipFamilies: ['IPv6', 'IPv4'],
          clusterIP: '10.0.0.59',
          clusterIPs: ['10.0.0.59', 'fd00:10::59'],
        }),
      ),
    );
    assert.match(
      wrongOrder.message,
      /spec\.clusterIPs\[0\]: Invalid value: "10\.0\.0\.59": expected an IPv6 value as indicated by `ipFamilies\[0\]`/,
    );
    const twoSingle = await failure(
      create(service('two-single', { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'] })),
    );
    assert.match(
      twoSingle.message,
      /must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified/,
    );
    const dup = await failure(
      create(service('dup', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv4'] })),
    );
    assert.match(dup.message, /spec\.ipFamilies\[1\]: Duplicate value: "IPv4"/);
  });

  it('headless services: clusterIPs [None]; selectorless ones default to RequireDualStack with both families, others follow their policy', async () => {
    assert.deepEqual(families(await create(service('headless-manual', { clusterIP: 'None' }))), [
      'None',
      ['None'],
      ['IPv4', 'IPv6'],
      'RequireDualStack',
    ]);
    assert.deepEqual(families(await create(service('headless-pods', { clusterIP: 'None', selector: { app: 'x' } }))), [
      'None',
      ['None'],
      ['IPv4'],
      'SingleStack',
    ]);
    assert.deepEqual(
      families(
        await create(
          service('headless-pods-dual', {
            clusterIP: 'None',
            selector: { app: 'x' },
            ipFamilyPolicy: 'PreferDualStack',
          }),
        ),
      ),
      ['None', ['None'], ['IPv4', 'IPv6'], 'PreferDualStack'],
    );
    assert.deepEqual(
      families(
        await create(
          service('headless-six', { clusterIP: 'None', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] }),
        ),
      ),
      ['None', ['None'], ['IPv6'], 'SingleStack'],
    );
    const external = await create({
      metadata: { name: 'ext' },
      spec: { type: 'ExternalName', externalName: 'example.com', ipFamilyPolicy: 'PreferDualStack' },
    });
    assert.deepEqual(
      families(external),
      [undefined, undefined, undefined, undefined],
      'ExternalName services have no IPs and no families',
    );
  });

  it('upgrades a SingleStack service to dual-stack and back on update, releasing the secondary address', async () => {
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const up = await core.patchNamespacedService(
      { name: 'single', namespace: 'default', body: { spec: { ipFamilyPolicy: 'PreferDualStack' } } },
      merge,
    );
    assert.deepEqual(families(up), ['10.0.0.2', ['10.0.0.2', 'fd00:10::5'], ['IPv4', 'IPv6'], 'PreferDualStack']);
    const released = await failure(
      core.patchNamespacedService(
        { name: 'single', namespace: 'default', body: { spec: { clusterIPs: ['10.0.0.2'], ipFamilies: ['IPv4'] } } },
        merge,
      ),
    );
    assert.match(
      released.message,
      /spec\.ipFamilyPolicy: Invalid value: "PreferDualStack": must be 'SingleStack' to release the secondary cluster IP/,
    );
    const down = await core.patchNamespacedService(
      { name: 'single', namespace: 'default', body: { spec: { ipFamilyPolicy: 'SingleStack' } } },
      merge,
    );
    assert.deepEqual(families(down), ['10.0.0.2', ['10.0.0.2'], ['IPv4'], 'SingleStack']);
    assert.deepEqual(
      (await create(service('reuses-v6', { ipFamilies: ['IPv6'] }))).spec?.clusterIPs,
      ['fd00:10::5'],
      'the downgrade gave fd00:10::5 back',
    );
    const moved = await failure(
      core.patchNamespacedService(
        { name: 'prefer', namespace: 'default', body: { spec: { clusterIPs: ['10.0.0.3', 'fd00:10::99'] } } },
        merge,
      ),
    );
    assert.match(moved.message, /spec\.clusterIPs\[1\]: Invalid value: .*may not change once set/);
  });

  it('releases both addresses on delete; dry runs allocate nothing', async () => {
    await core.deleteNamespacedService({ name: 'prefer', namespace: 'default' });
    assert.deepEqual((await create(service('after-delete', { ipFamilyPolicy: 'PreferDualStack' }))).spec?.clusterIPs, [
      '10.0.0.3',
      'fd00:10::2',
    ]);
    const dry = await core.createNamespacedService({
      namespace: 'default',
      body: service('dry', { ipFamilyPolicy: 'RequireDualStack' }),
      dryRun: 'All',
    });
    const real = await create(service('wet', { ipFamilyPolicy: 'RequireDualStack' }));
    assert.deepEqual(real.spec?.clusterIPs, dry.spec?.clusterIPs);
  });

  it('kubectl creates a dual-stack service from YAML and shows the primary address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-dualstack-'));
    try {
      const yaml = join(dir, 'svc.yaml');
      writeFileSync(
        yaml,
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: web6\nspec:\n  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv6, IPv4]\n  selector:\n    app: web\n  ports:\n  - port: 80\n',
      );
      const kubectl = (...args: string[]): Promise<{ stdout: string }> =>
        run(requireTool('kubectl'), ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args], {
          timeout: 30_000,
        });
      assert.match((await kubectl('create', '-f', yaml)).stdout, /service\/web6 created/);
      const ips = (await kubectl('get', 'svc', 'web6', '-o', 'jsonpath={.spec.clusterIPs}')).stdout;
      assert.match(ips, /^\["fd00:10::[0-9a-f]+","10\.0\.0\.\d+"\]$/);
      assert.match(
        (await kubectl('get', 'svc', 'web6')).stdout,
        /web6\s+ClusterIP\s+fd00:10::[0-9a-f]+\s+<none>\s+80\/TCP/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a single-stack service range (the default 10.0.0.0/24)', () => {
  let api: SandboxApiServer;
  let core: CoreV1Api;
  const create = (svc: V1Service): Promise<V1Service> =>
    core.createNamespacedService({ namespace: 'default', body: svc });

  before(async () => {
    api = await SandboxApiServer.start();
    core = client(api);
  });
  after(async () => {
    await api.stop();
  });

  it('refuses RequireDualStack and IPv6, and gives PreferDualStack one IPv4 address', async () => {
    const required = await failure(create(service('required', { ipFamilyPolicy: 'RequireDualStack' })));
    assert.deepEqual(
      [required.code, required.message],
      [
        422,
        'Service "required" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
      ],
    );
    const six = await failure(create(service('six', { ipFamilies: ['IPv6'] })));
    assert.deepEqual(
      [six.code, six.message],
      [422, 'Service "six" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'],
    );
    const sixIP = await failure(create(service('six-ip', { clusterIP: 'fd00::1' })));
    assert.deepEqual(
      [sixIP.code, sixIP.message],
      [
        422,
        'Service "six-ip" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00::1"}: IPv6 is not configured on this cluster',
      ],
    );
    const policy = await failure(create(service('policy', { ipFamilyPolicy: 'DualStackPlease' })));
    assert.match(
      policy.message,
      /spec\.ipFamilyPolicy: Unsupported value: "DualStackPlease": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"/,
    );
    assert.deepEqual(families(await create(service('prefer', { ipFamilyPolicy: 'PreferDualStack' }))), [
      '10.0.0.2',
      ['10.0.0.2'],
      ['IPv4'],
      'PreferDualStack',
    ]);
  });

  it('lets a headless selectorless service name both families, as the real server does', async () => {
    assert.deepEqual(families(await create(service('manual', { clusterIP: 'None' }))), [
      'None',
      ['None'],
      ['IPv4', 'IPv6'],
      'RequireDualStack',
    ]);
    const withPods = await failure(
      create(service('pods', { clusterIP: 'None', selector: { app: 'x' }, ipFamilyPolicy: 'RequireDualStack' })),
    );
    assert.match(withPods.message, /this cluster is not configured for dual-stack services/);
  });
});
