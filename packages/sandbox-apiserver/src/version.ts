import { readFileSync } from 'node:fs';

/** This package's version, from its package.json (the images ship it beside `dist/`). */
export function packageVersion(): string {
  const url = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
