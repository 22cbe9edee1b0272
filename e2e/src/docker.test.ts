import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The images we build: Dockerfile name → the workspace package its ENTRYPOINT runs. */
const IMAGES: Readonly<Record<string, string>> = { exechealthz: 'exechealthz', kube2sky: 'kube2sky', skydns: 'skydns' };

function parse(name: string): Dockerfile {
  return DockerfileParser.parse(readFileSync(join(ROOT, 'docker', `${name}.Dockerfile`), 'utf8'));
}

/** The instructions of each stage, in order (a stage starts at its FROM). */
function stages(dockerfile: Dockerfile): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

function args(instruction: Instruction): string[] {
  return instruction.getArguments().map((a) => a.getValue());
}

function flag(instruction: Instruction, name: string): string | undefined {
  const flags =
    (
      instruction as Instruction & { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> }
    ).getFlags?.() ?? [];
  return flags.find((f) => f.getName() === name)?.getValue() ?? undefined;
}

/** .dockerignore rules as (regex, exclude?) pairs, Docker's matching: globs on slash paths, `**` across directories, last rule wins. */
function dockerignore(): Array<{ pattern: RegExp; exclude: boolean }> {
  const path = join(ROOT, '.dockerignore');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclude = !line.startsWith('!');
      const glob = posix.normalize(line.replace(/^!/, '').replace(/^\/+/, ''));
      let source = '';
      for (let i = 0; i < glob.length; i++) {
        const c = glob[i] ?? '';
        if (glob.startsWith('**/', i)) {
          source += '(?:.*/)?';
          i += 2;
        } else if (glob.startsWith('**', i)) {
          source += '.*';
          i += 1;
        } else if (c === '*') source += '[^/]*';
        else if (c === '?') source += '[^/]';
        else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { pattern: new RegExp(`^${source}$`), exclude };
    });
}

const IGNORE = dockerignore();

/** Whether a repository path is left out of the build context (it or a parent directory matches). */
function ignored(path: string): boolean {
  const parts = posix.normalize(path).replace(/\/$/, '').split('/');
  let excluded = false;
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    for (const rule of IGNORE) if (rule.pattern.test(prefix)) excluded = rule.exclude;
    if (excluded && i < parts.length) return true;
  }
  return excluded;
}

/** Workspace packages `pkg` depends on at run time (its own @kube-dns-legacy dependencies, transitively). */
function workspaceDeps(pkg: string): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const direct = Object.keys(manifest.dependencies ?? {})
    .filter((d) => d.startsWith('@kube-dns-legacy/'))
    .map((d) => d.slice('@kube-dns-legacy/'.length));
  return [...new Set([...direct, ...direct.flatMap(workspaceDeps)])];
}

test('.dockerignore is parsed the way Docker reads it', () => {
  assert.equal(ignored('packages/skydns/node_modules/dns2/index.js'), true);
  assert.equal(ignored('packages/skydns/dist/main.js'), true);
  assert.equal(ignored('node_modules'), true);
  assert.equal(ignored('e2e/src/docker.test.ts'), true);
  assert.equal(ignored('packages/skydns/src/main.ts'), false);
  assert.equal(ignored('e2e/package.json'), false);
  assert.equal(ignored('package-lock.json'), false);
});

test('there is one Dockerfile per image we ship, named like the manifest images', () => {
  const files = readdirSync(join(ROOT, 'docker')).filter((f) => f.endsWith('.Dockerfile'));
  assert.deepEqual(
    files.sort(),
    Object.keys(IMAGES)
      .map((n) => `${n}.Dockerfile`)
      .sort(),
  );
  const rc = readFileSync(join(ROOT, 'manifests', 'skydns-rc.yaml'), 'utf8');
  for (const name of Object.keys(IMAGES))
    assert.match(rc, new RegExp(`/kube-dns-legacy-${name}:`), `the manifest uses the ${name} image`);
});

for (const [name, pkg] of Object.entries(IMAGES)) {
  test(`docker/${name}.Dockerfile: multi-stage, pinned bases, npm ci and tsc -b in the build stage`, () => {
    const dockerfile = parse(name);
    const all = stages(dockerfile);
    assert.ok(all.length >= 2, 'multi-stage');
    const stageNames = new Set<string>();
    for (const from of dockerfile.getFROMs()) {
      const image = from.getImageName() ?? '';
      if (stageNames.has(image)) continue;
      const tag = from.getImageTag() ?? '';
      assert.match(tag, /^\d+\.\d+\.\d+[\w.-]*$/, `${from.getImage()}: an exact version tag`);
      assert.match(from.getImageDigest() ?? '', /^sha256:[0-9a-f]{64}$/, `${from.getImage()}: pinned by digest`);
      const stage = from.getBuildStage();
      if (stage) stageNames.add(stage);
    }
    const build = all[0] ?? [];
    const runs = build.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    assert.ok(
      runs.some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r)),
      'npm ci with dev dependencies to build',
    );
    assert.ok(
      runs.some((r) => new RegExp(`\\btsc -b packages/${pkg}\\b`).test(r)),
      `tsc -b packages/${pkg}`,
    );
    assert.ok(
      runs.some((r) => new RegExp(`npm ci [^&]*--omit=dev[^&]*--workspace=packages/${pkg}\\b`).test(r)),
      'production dependencies of this package only',
    );

    const runtime = all.at(-1) ?? [];
    for (const i of runtime) {
      if (i.getKeyword() === 'COPY')
        assert.ok(
          flag(i, 'from') !== undefined,
          `runtime COPY ${args(i).join(' ')} takes built files from a stage, not sources`,
        );
      if (i.getKeyword() === 'RUN')
        assert.doesNotMatch(
          i.getArgumentsContent() ?? '',
          /\b(npm|npx|tsc)\b/,
          'no build tools run in the runtime stage',
        );
    }
    assert.match(runtime.find((i) => i.getKeyword() === 'ENV')?.getArgumentsContent() ?? '', /NODE_ENV=production/);
  });

  test(`docker/${name}.Dockerfile: runs as a non-root user`, () => {
    const runtime = stages(parse(name)).at(-1) ?? [];
    const users = runtime.filter((i) => i.getKeyword() === 'USER').map((i) => args(i).join(' '));
    assert.ok(users.length > 0, 'a USER instruction in the final stage');
    const user = users.at(-1) ?? '';
    assert.match(user, /^\d+(:\d+)?$/, 'numeric, so the kubelet can verify runAsNonRoot');
    assert.notEqual(Number(user.split(':')[0]), 0, 'not root');
  });

  test(`docker/${name}.Dockerfile: every COPY source is in the build context`, () => {
    const dockerfile = parse(name);
    let sources = 0;
    for (const copy of dockerfile.getCOPYs()) {
      if (flag(copy, 'from') !== undefined) continue;
      const words = args(copy);
      for (const source of words.slice(0, -1)) {
        sources++;
        assert.ok(existsSync(join(ROOT, source)), `COPY source ${source} exists in the repository`);
        assert.ok(!ignored(source), `COPY source ${source} is not excluded by .dockerignore`);
      }
    }
    assert.ok(sources > 0);
    for (const p of [pkg, ...workspaceDeps(pkg)]) {
      for (const file of ['package.json', 'tsconfig.json', 'src/index.ts']) {
        const path = `packages/${p}/${file}`;
        if (file === 'src/index.ts' && !existsSync(join(ROOT, path))) continue;
        assert.ok(existsSync(join(ROOT, path)) && !ignored(path), `${path} reaches the build`);
      }
    }
    assert.ok(!ignored(`packages/${pkg}/src/main.ts`), 'the entry point source reaches the build');
  });

  test(`docker/${name}.Dockerfile: the ENTRYPOINT is packages/${pkg}/dist/main.js, copied from the build, and answers --help`, () => {
    const dockerfile = parse(name);
    const all = stages(dockerfile);
    const runtime = all.at(-1) ?? [];
    const entrypoints = runtime.filter((i) => i.getKeyword() === 'ENTRYPOINT');
    assert.equal(entrypoints.length, 1);
    const entry = entrypoints[0] as Instruction & { getJSONStrings(): Array<{ getJSONValue(): string }> };
    const words = entry.getJSONStrings().map((s) => s.getJSONValue());
    assert.equal(words.length, 2, 'exec form ["node", "<file>"], so the manifest args are appended');
    assert.equal(words[0], 'node');
    const file = words[1] ?? '';

    // Resolve the file through the runtime COPY --from=build that put it there, then through the build stage's WORKDIR.
    const workdirOf = (stage: Instruction[], before: Instruction): string => {
      let dir = '/';
      for (const i of stage) {
        if (i === before) break;
        if (i.getKeyword() === 'WORKDIR') dir = posix.resolve(dir, args(i)[0] ?? '');
      }
      return dir;
    };
    let buildPath: string | undefined;
    for (const copy of runtime.filter((i) => i.getKeyword() === 'COPY' && flag(i, 'from') !== undefined)) {
      const [source, dest] = args(copy);
      const destDir = posix.resolve(workdirOf(runtime, copy), dest ?? '');
      if (file.startsWith(`${destDir}/`)) buildPath = posix.join(source ?? '', file.slice(destDir.length + 1));
    }
    assert.ok(buildPath, `${file} is copied from the build stage`);
    const build = all[0] ?? [];
    const buildDir = workdirOf(build, build.find((i) => i.getKeyword() === 'RUN') as Instruction);
    assert.ok(buildPath.startsWith(`${buildDir}/`), `${buildPath} is under the build stage's ${buildDir}`);
    const repoPath = buildPath.slice(buildDir.length + 1);
    assert.equal(repoPath, `packages/${pkg}/dist/main.js`, 'the file tsc -b produces for the package');

    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'tsconfig.json'), 'utf8')) as {
      compilerOptions?: { rootDir?: string; outDir?: string };
    };
    assert.deepEqual(
      [tsconfig.compilerOptions?.rootDir, tsconfig.compilerOptions?.outDir],
      ['src', 'dist'],
      'src/main.ts compiles to dist/main.js',
    );
    assert.ok(
      existsSync(join(ROOT, 'packages', pkg, 'src', 'main.ts')),
      `packages/${pkg}/src/main.ts does not exist yet: the ${pkg} executable has not landed`,
    );
    const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
    };
    assert.ok(Object.values(manifest.bin ?? {}).includes('./dist/main.js'), "the same file is the package's bin");

    const built = join(ROOT, repoPath);
    assert.ok(
      existsSync(built),
      `${repoPath} does not exist: build it with "npx tsc -b packages/${pkg}" (npm test builds first)`,
    );
    const help = spawnSync(process.execPath, [built, '--help'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NODE_ENV: 'production' },
    });
    assert.equal(help.status, 0, `${repoPath} --help exits 0; output:\n${help.stdout}${help.stderr}`);
    assert.match(
      help.stdout,
      new RegExp(`(usage|${name}).*\\n[\\s\\S]*--\\w`, 'i'),
      'prints its usage (name and flags) on stdout',
    );
  });
}

/** Every symbolic link under `dir` (npm links workspace packages into node_modules). */
function symlinks(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) found.push(path);
    else if (entry.isDirectory()) found.push(...symlinks(path));
  }
  return found;
}

/** The root package.json's workspace folders (`packages/*`, `e2e`), expanded. */
function workspaceDirs(): string[] {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces
    .flatMap((w) =>
      w.endsWith('/*') ? readdirSync(join(ROOT, w.slice(0, -2))).map((d) => `${w.slice(0, -2)}/${d}`) : [w],
    )
    .filter((d) => existsSync(join(ROOT, d, 'package.json')));
}

/** Run a command to completion, collecting its output (async, so the image checks below can overlap). */
function run(
  command: string,
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => (output += `\n[spawn error] ${err.message}`));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

describe('images assembled without Docker', { concurrency: true }, () => {
  for (const [name, pkg] of Object.entries(IMAGES)) {
    test(`docker/${name}.Dockerfile: the runtime stage, assembled by the Dockerfile's own prune step and COPYs, starts with production dependencies only`, async () => {
      const all = stages(parse(name));
      const build = all[0] ?? [];
      const runtime = all.at(-1) ?? [];
      const workdir = (stage: Instruction[]): string =>
        posix.resolve('/', args(stage.filter((i) => i.getKeyword() === 'WORKDIR').at(-1) as Instruction)[0] ?? '/');
      const buildWorkdir = workdir(build);
      const appWorkdir = workdir(runtime);
      const tmp = mkdtempSync(join(tmpdir(), `docker-${name}-`));
      const buildDir = join(tmp, 'build');
      const appDir = join(tmp, 'app');
      try {
        // The build stage after its npm ci and tsc -b: the lockfile, every workspace's package.json, this package and its workspace dependencies built.
        mkdirSync(buildDir, { recursive: true });
        for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, file), join(buildDir, file));
        for (const dir of workspaceDirs()) cpSync(join(ROOT, dir, 'package.json'), join(buildDir, dir, 'package.json'));
        for (const p of [pkg, ...workspaceDeps(pkg)]) {
          const dist = join(ROOT, 'packages', p, 'dist');
          assert.ok(existsSync(dist), `packages/${p}/dist does not exist: build with "npx tsc -b packages/${pkg}"`);
          cpSync(dist, join(buildDir, 'packages', p, 'dist'), { recursive: true });
        }

        const prune = build
          .map((i) => (i.getKeyword() === 'RUN' ? (i.getArgumentsContent() ?? '') : ''))
          .find((r) => r.includes('--omit=dev'));
        assert.ok(prune, 'a RUN that keeps production dependencies only');
        const pruned = await run('sh', ['-c', prune], {
          cwd: buildDir,
          timeoutMs: 240_000,
          env: {
            ...process.env,
            npm_config_prefer_offline: 'true',
            npm_config_update_notifier: 'false',
            npm_config_fund: 'false',
          },
        });
        assert.equal(pruned.status, 0, `the prune step fails:\n${pruned.output}`);

        // The runtime stage's COPY --from=<build stage> lines, with the build stage's WORKDIR and the runtime's WORKDIR mapped to the two folders.
        for (const copy of runtime.filter((i) => i.getKeyword() === 'COPY' && flag(i, 'from') !== undefined)) {
          const [source = '', dest = ''] = args(copy);
          assert.ok(source.startsWith(`${buildWorkdir}/`), `${source} comes from the build stage's ${buildWorkdir}`);
          const target = posix.resolve(appWorkdir, dest);
          assert.ok(target === appWorkdir || target.startsWith(`${appWorkdir}/`), `${dest} lands under ${appWorkdir}`);
          const from = join(buildDir, source.slice(buildWorkdir.length + 1));
          assert.ok(existsSync(from), `COPY --from source ${source} exists after the prune step`);
          cpSync(from, join(appDir, target.slice(appWorkdir.length + 1)), { recursive: true, verbatimSymlinks: true });
        }
        for (const link of symlinks(appDir)) {
          let resolved = '';
          try {
            resolved = realpathSync(link);
          } catch {
            assert.fail(`${relative(appDir, link)} is a dangling link in the image`);
          }
          assert.ok(
            resolved.startsWith(`${appDir}/`) && !lstatSync(resolved).isSymbolicLink(),
            `${relative(appDir, link)} points inside the image`,
          );
        }
        assert.equal(
          existsSync(join(appDir, 'node_modules', '@kube-dns-legacy', 'testkit')),
          false,
          'no test helpers in the image',
        );
        for (const dep of workspaceDeps(pkg)) {
          assert.ok(
            existsSync(join(appDir, 'node_modules', '@kube-dns-legacy', dep, 'dist')),
            `the workspace dependency ${dep} is in the image's node_modules`,
          );
        }
        assert.equal(existsSync(join(appDir, 'node_modules', 'typescript')), false, 'no dev dependencies in the image');

        const entry = runtime.find((i) => i.getKeyword() === 'ENTRYPOINT') as Instruction & {
          getJSONStrings(): Array<{ getJSONValue(): string }>;
        };
        const file = entry.getJSONStrings().map((s) => s.getJSONValue())[1] ?? '';
        const local = join(appDir, file.slice(appWorkdir.length + 1));
        const help = await run(process.execPath, [local, '--help'], {
          cwd: appDir,
          timeoutMs: 30_000,
          env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production' },
        });
        assert.equal(help.status, 0, `${file} --help in the assembled image exits 0; output:\n${help.output}`);
        assert.match(help.output, /--\w/, 'prints its flags');
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});

test('docker/exechealthz.Dockerfile: the runtime has the nslookup the probe command calls', () => {
  const runtime = stages(parse('exechealthz')).at(-1) ?? [];
  const runs = runtime.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
  assert.ok(
    runs.some(
      (r) => /apt-get install[^&]*\bbusybox\b/.test(r) && /ln -s \/bin\/busybox \/usr\/local\/bin\/nslookup/.test(r),
    ),
  );
  const rc = readFileSync(join(ROOT, 'manifests', 'skydns-rc.yaml'), 'utf8');
  assert.match(rc, /-cmd=nslookup /, 'the manifest probe uses nslookup from PATH');
});

test('docker/skydns.Dockerfile: node may bind port 53 as a non-root user', () => {
  const runtime = stages(parse('skydns')).at(-1) ?? [];
  const runs = runtime.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
  assert.ok(runs.some((r) => /setcap cap_net_bind_service=\+ep \/usr\/local\/bin\/node/.test(r)));
  const exposed = runtime.filter((i) => i.getKeyword() === 'EXPOSE').flatMap(args);
  for (const port of ['53/udp', '53/tcp', '9153']) assert.ok(exposed.includes(port), `EXPOSE ${port}`);
});
