/** Print `kube2sky: <message>` on stderr (no stack trace) and exit with `status`. */
export function exitWith(message: string, status: number): never {
  process.stderr.write(`kube2sky: ${message}\n`);
  process.exit(status);
}
