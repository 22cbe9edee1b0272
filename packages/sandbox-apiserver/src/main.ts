#!/usr/bin/env node
// Catch SIGTERM/SIGINT before the (slow to load) server modules, so a signal during start-up still exits 0.
const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
  process.once('SIGTERM', () => resolve('SIGTERM'));
  process.once('SIGINT', () => resolve('SIGINT'));
});
const { runCli } = await import('./cli.js');
process.exitCode = await runCli(process.argv.slice(2), stopSignal);
