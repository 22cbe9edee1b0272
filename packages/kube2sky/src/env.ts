/** `$VAR` and `${VAR}` replaced by their values in `env` (unset variables become empty, as Go's os.ExpandEnv). */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(
    /\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g,
    (_m, braced: string | undefined, bare: string | undefined) => env[braced ?? bare ?? ''] ?? '',
  );
}
