import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (this file is packages/control-plane/{src,dist}/binaries.*). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The script that builds the Go peers into the cache outside the repo, once per version. */
export const BUILD_SCRIPT = join(repoRoot, 'scripts', 'conformance', 'build-go.sh');

/**
 * The directory holding a built peer's binaries: `kube` (kube-apiserver, kube-controller-manager,
 * kubectl) or `coredns`. Builds them first when the cache lacks them (minutes, cold), printing progress
 * to stderr; fails with the script's one clear line when Go is missing.
 */
export async function goBinDir(what: 'kube' | 'coredns'): Promise<string> {
  const child = run('bash', [BUILD_SCRIPT, what], { maxBuffer: 16 * 1024 * 1024 });
  child.child.stderr?.pipe(process.stderr);
  try {
    const { stdout } = await child;
    const dir = stdout.trim().split('\n').pop();
    if (dir === undefined || dir === '') throw new Error(`${BUILD_SCRIPT} ${what} printed no directory`);
    return dir;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const last = e.stderr?.trim().split('\n').pop();
    throw new Error(last !== undefined && last !== '' ? last : e.message);
  }
}
