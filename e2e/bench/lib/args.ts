import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

/** Options every benchmark takes. */
export interface CommonArgs {
  /** A short run to check that everything works (numbers are not meaningful). */
  readonly quick: boolean;
}

/**
 * Parse `--quick` plus the benchmark's own numeric options (name → [description, default, quick default])
 * and choice options (name → [description, choices]; the first choice is the default).
 */
export function parseArgs<K extends string, C extends string = never>(
  script: string,
  about: string,
  numbers: Record<K, readonly [string, number, number]>,
  choices: Record<C, readonly [string, readonly string[]]> = {} as Record<C, readonly [string, readonly string[]]>,
): CommonArgs & Record<K, number> & Record<C, string> {
  let parser = yargs(hideBin(process.argv))
    .scriptName(script)
    .usage(`$0 [options]\n\n${about}`)
    .option('quick', {
      type: 'boolean',
      default: process.env['BENCH_QUICK'] === '1',
      describe: 'Short run with small sizes, to check the benchmark works (env BENCH_QUICK=1)',
    });
  for (const [name, [describe, full, quick]] of Object.entries(numbers) as Array<
    [K, readonly [string, number, number]]
  >) {
    parser = parser.option(name, { type: 'number', describe: `${describe} [default: ${full}; --quick: ${quick}]` });
  }
  for (const [name, [describe, values]] of Object.entries(choices) as Array<
    [C, readonly [string, readonly string[]]]
  >) {
    parser = parser.option(name, { choices: values, default: values[0], describe });
  }
  const argv = parser.strict().help().parseSync() as Record<string, unknown>;
  const quick = Boolean(argv['quick']);
  const out: Record<string, number | boolean | string> = { quick };
  for (const [name, [, full, quick_]] of Object.entries(numbers) as Array<[K, readonly [string, number, number]]>) {
    const given = argv[name];
    out[name] = typeof given === 'number' ? given : quick ? quick_ : full;
  }
  for (const name of Object.keys(choices)) out[name] = String(argv[name]);
  return out as CommonArgs & Record<K, number> & Record<C, string>;
}
