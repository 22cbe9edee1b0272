/** How {@link normalizeGoFlags} treats flags beyond spelling. */
export interface GoFlagOptions {
  /**
   * Flags (dashed names) that take a value. As in Go's flag package, `-name value` takes the next
   * argument whatever it looks like; it is joined to `--name=value` so yargs reads it whole.
   */
  valueFlags?: ReadonlySet<string>;
}

/** The rewritten arguments, and the underscore spellings that were rewritten (for deprecation notes). */
export interface NormalizedFlags {
  args: string[];
  renamed: Array<{ from: string; to: string }>;
}

/** A flag argument: its dashes, name and `=value` part (which may be empty or absent). */
const FLAG = /^(--?)([A-Za-z][\w.-]*)(=[\s\S]*)?$/;

/**
 * Rewrite Go flag spellings into what yargs parses: `-domain=x` and `-domain x` become `--domain=x` /
 * `--domain x` (single-letter flags stay short: `-h`), underscores in names become dashes
 * (`--kube_master_url` → `--kube-master-url`, reported in `renamed`), value flags are joined with
 * their value, and everything after `--` is left alone. Throws when a value flag ends the line.
 */
export function normalizeGoFlags(argv: readonly string[], options: GoFlagOptions = {}): NormalizedFlags {
  const args: string[] = [];
  const renamed: Array<{ from: string; to: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const match = FLAG.exec(arg);
    if (match === null) {
      args.push(arg);
      continue;
    }
    const [, dashes = '', original = '', value] = match;
    const name = original.replaceAll('_', '-');
    const flag = name.length === 1 && dashes === '-' ? `-${name}` : `--${name}`;
    if (name !== original) renamed.push({ from: `${dashes}${original}`, to: flag });
    if (value === undefined && options.valueFlags?.has(name) === true) {
      const next = argv[i + 1];
      if (next === undefined) throw new Error(`flag needs an argument: -${name}`);
      args.push(`${flag}=${next}`);
      i++;
    } else {
      args.push(`${flag}${value ?? ''}`);
    }
  }
  return { args, renamed };
}
