import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, freeDnsPort } from '@kube-dns-legacy/testkit';
import { goBinDir } from './binaries.js';

/** A CoreDNS server (the build of scripts/conformance/build-go.sh) on a free loopback port. */
export class CoreDns {
  private constructor(
    readonly process: ManagedProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  /**
   * Start CoreDNS with `serverBlocks`: the Corefile's plugin lines for one server block, which serves
   * `zones` on 127.0.0.1 and a free port (UDP and TCP). Resolves once it listens.
   */
  static start(zones: readonly string[], serverBlocks: string, binDir?: string): Promise<CoreDns> {
    return CoreDns.startBlocks([{ zones, plugins: serverBlocks }], binDir);
  }

  /**
   * Start CoreDNS with several server blocks on one free port (bound to 127.0.0.1), each serving its
   * `zones` with its `plugins` lines (CoreDNS picks the block of the longest matching zone).
   */
  static async startBlocks(
    blocks: ReadonlyArray<{ readonly zones: readonly string[]; readonly plugins: string }>,
    binDir?: string,
  ): Promise<CoreDns> {
    const bin = join(binDir ?? (await goBinDir('coredns')), 'coredns');
    const dir = await mkdtemp(join(tmpdir(), 'kdl-coredns-'));
    const port = await freeDnsPort();
    const corefile = blocks
      .map(
        (b) =>
          `${b.zones.map((z) => `${z}:${port}`).join(' ')} {\n  bind 127.0.0.1\n${b.plugins.replace(/^/gm, '  ')}\n}\n`,
      )
      .join('');
    await writeFile(join(dir, 'Corefile'), corefile);
    const proc = new ManagedProcess('coredns', bin, ['-conf', join(dir, 'Corefile')], { cwd: dir });
    try {
      await proc.waitForOutput(/CoreDNS-\d/, 30_000);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return new CoreDns(proc, port, dir);
  }

  /** Stop CoreDNS and remove its Corefile. */
  async stop(): Promise<void> {
    await this.process.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
