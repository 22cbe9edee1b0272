#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ControlPlane } from './control-plane.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('kube-control-plane')
  .usage(
    '$0 [options]\n\nRuns a real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager of the\n' +
      'release scripts/conformance/build-go.sh builds (from Go modules, once, into ~/.cache/kube-dns-legacy). Ctrl-C stops it.',
  )
  .option('state-dir', {
    type: 'string',
    describe: 'Where certificates and the admin kubeconfig go (default: a temporary directory)',
  })
  .option('port', { type: 'number', describe: 'kube-apiserver secure port (default: a free one)' })
  .option('service-cidr', {
    type: 'string',
    default: '10.0.0.0/24,fd00:10::/108',
    describe: '--service-cluster-ip-range (IPv4 and IPv6)',
  })
  .strict()
  .help()
  .parseSync();

const plane = await ControlPlane.start({
  ...(argv['state-dir'] === undefined ? {} : { stateDir: argv['state-dir'] }),
  ...(argv.port === undefined ? {} : { apiPort: argv.port }),
  serviceCidr: argv['service-cidr'],
}).catch((err: unknown) => {
  process.stderr.write(`kube-control-plane: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
process.stdout.write(
  `url: ${plane.url}\nkubeconfig: ${plane.kubeconfig}\nkubectl: ${plane.binDir}/kubectl --kubeconfig ${plane.kubeconfig} get svc -A\n`,
);
const stop = (): void => void plane.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
