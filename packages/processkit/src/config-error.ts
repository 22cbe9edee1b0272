/** A configuration problem (flags, environment, files named by flags): the message says what is wrong; the process exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Exit status of a configuration error. */
export const CONFIG_ERROR_STATUS = 2;

/**
 * The one exit path of a failed start: `<program>: <message>` on stderr without a stack trace,
 * status 2 (with a pointer to --help) for a {@link ConfigError}, 1 for anything else.
 */
export function exitOnError(program: string, err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${program}: ${err.message}\nRun "${program} --help" for the flags.\n`);
    process.exit(CONFIG_ERROR_STATUS);
  }
  process.stderr.write(`${program}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
