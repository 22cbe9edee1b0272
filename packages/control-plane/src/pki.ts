import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from '@kube-dns-legacy/testkit';

/** The files of a control plane's certificates and keys, made by the openssl tool. */
export interface Pki {
  /** The cluster CA certificate (kubeconfigs, client-ca, in-cluster ca.crt). */
  readonly caCert: string;
  readonly caKey: string;
  /** kube-apiserver's serving certificate and key. */
  readonly servingCert: string;
  readonly servingKey: string;
  /** The ServiceAccount token signing key (private, for the API server and the token controller) and its public half. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

function openssl(dir: string, ...args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

/**
 * A ten-day CA, a serving certificate for kube-apiserver valid for the loopback addresses and the
 * names and first ClusterIPs of the `kubernetes` Service (so in-cluster clients verify it), and a
 * ServiceAccount signing key, in `dir`.
 */
export function makePki(dir: string, serviceIps: readonly string[], domain: string): Pki {
  requireTool('openssl');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    dir,
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '10',
    '-subj',
    '/CN=kube-dns-legacy-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl(dir, 'req', ...ec, '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver');
  const names = [
    'IP:127.0.0.1',
    'IP:::1',
    ...serviceIps.map((ip) => `IP:${ip}`),
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    `DNS:kubernetes.default.svc.${domain}`,
  ];
  writeFileSync(
    join(dir, 'apiserver.ext'),
    `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'apiserver.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'apiserver.crt',
    '-days',
    '10',
    '-extfile',
    'apiserver.ext',
  );
  openssl(dir, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key');
  openssl(dir, 'pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
}
