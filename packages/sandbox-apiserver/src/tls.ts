import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** PEM files of a throw-away CA and a server certificate signed by it. */
export interface TlsFiles {
  /** The CA certificate clients trust (kubeconfig certificate-authority, in-cluster ca.crt). */
  readonly caPath: string;
  /** The server certificate (PEM). */
  readonly cert: Buffer;
  /** The server key (PEM). */
  readonly key: Buffer;
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT')
      throw new Error(
        'openssl is not installed; run "bash scripts/setup.sh" as root (it installs the Debian package openssl)',
      );
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

/** Make a one-day CA and a server certificate for `host` (plus 127.0.0.1 and localhost) with the openssl tool, in `dir`. */
export function makeCertificates(dir: string, host: string): TlsFiles {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=sandbox-apiserver-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=sandbox-apiserver'], dir);
  const names = new Set(['IP:127.0.0.1', 'DNS:localhost', isIP(host) ? `IP:${host}` : `DNS:${host}`]);
  writeFileSync(
    join(dir, 'server.ext'),
    `subjectAltName=${[...names].join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  return {
    caPath: join(dir, 'ca.crt'),
    cert: readFileSync(join(dir, 'server.crt')),
    key: readFileSync(join(dir, 'server.key')),
  };
}
