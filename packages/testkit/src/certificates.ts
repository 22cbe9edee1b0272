import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from './tools.js';

const run = promisify(execFile);

/** PEM files of a test CA and the leaves it signed, by name (`<name>.pem`, `<name>.key`). */
export interface TestCertificates {
  readonly ca: string;
  /** Certificate and key of each leaf. */
  readonly leaves: Readonly<Record<string, { readonly cert: string; readonly key: string }>>;
}

/**
 * A one-day CA `<ca>.pem` and, signed by it, a certificate per leaf usable as server and client for
 * `sans` (default: IP:127.0.0.1), made by the openssl tool in `dir`.
 */
export async function makeTestCertificates(
  dir: string,
  ca: string,
  leaves: readonly string[],
  sans: readonly string[] = ['IP:127.0.0.1'],
): Promise<TestCertificates> {
  requireTool('openssl');
  const ossl = async (...args: string[]): Promise<void> => {
    await run('openssl', args, { cwd: dir });
  };
  await ossl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${ca}.key`,
    '-out',
    `${ca}.pem`,
    '-days',
    '1',
    '-subj',
    `/CN=${ca}`,
  );
  const out: Record<string, { cert: string; key: string }> = {};
  for (const name of leaves) {
    await ossl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    await writeFile(
      join(dir, `${name}.ext`),
      `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    await ossl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
    out[name] = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  }
  return { ca: join(dir, `${ca}.pem`), leaves: out };
}
