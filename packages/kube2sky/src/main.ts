#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { exitOnError } from '@kube-dns-legacy/processkit';
import { kube2skyParser, parseKube2skyArgs } from './cli.js';
import { slimClientNode } from './slim-client.js';
import { packageVersion } from './version.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.some((a) => a === '--help' || a === '-h' || a === '-help')) {
    process.stdout.write(`${await kube2skyParser([]).getHelp()}\n`);
    return;
  }
  if (argv.some((a) => a === '--version' || a === '-version')) {
    process.stdout.write(`kube2sky version: ${packageVersion()} (kube-dns-legacy)\n`);
    return;
  }
  const config = parseKube2skyArgs(argv, process.env);
  // The Kubernetes and etcd clients load only once the flags are known to be good, and client-node without its generated API code.
  slimClientNode();
  // V8 favours memory over speed from here on (smaller heap growth steps; the young generation stays
  // at its first 2 MB instead of growing to 16): with 120,000 records the resident set stays
  // ~140 MiB lower, for ~3 s more CPU at start.
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
  const { run } = await import('./run.js');
  await run(config);
}

// Configuration errors exit 2, any other failure to start exits 1 (one exit path for both).
await main().catch((err: unknown) => exitOnError('kube2sky', err));
