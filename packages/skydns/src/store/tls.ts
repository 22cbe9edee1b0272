import { readFileSync } from 'node:fs';
import { ConfigError } from '@kube-dns-legacy/processkit';

/** Read a TLS file named by a flag (undefined for an empty flag); an unreadable file is a configuration error naming the flag. */
export function readTlsFile(flag: string, path: string): Buffer | undefined {
  if (path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `-${flag} ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}
