import type { Rr } from '../rr.js';
import { filterGroup } from './group.js';
import {
  MAX_ANSWER_RECORDS,
  NO_NAME,
  recordTtl,
  answerRecords,
  type Lookup,
  type Question,
  type ResolveContext,
} from './context.js';

/** The longest character-string in a TXT record. */
const MAX_TXT_STRING = 255;

/** Split `text` into character-strings of at most 255 UTF-8 bytes, never inside a character. */
export function splitText(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let size = 0;
  for (const char of text) {
    const bytes = Buffer.byteLength(char, 'utf8');
    if (size + bytes > MAX_TXT_STRING) {
      parts.push(current);
      current = '';
      size = 0;
    }
    current += char;
    size += bytes;
  }
  parts.push(current);
  return parts;
}

/** TXT: one record per record of the subtree with a non-empty `text`, split into 255-byte strings. */
export function resolveTxt(ctx: ResolveContext, q: Question): Lookup {
  const found = answerRecords(ctx, q.name, (record) => record.text !== undefined && record.text !== '');
  if (found === undefined) return NO_NAME;
  const answer: Rr[] = [];
  for (const { record } of filterGroup(found.records)) {
    if (answer.length >= MAX_ANSWER_RECORDS) break;
    if (record.text === undefined || record.text === '') continue;
    answer.push({ name: q.owner, ttl: recordTtl(ctx, record), type: 'TXT', texts: splitText(record.text) });
  }
  return { exists: true, answer, additional: [], external: [], capped: found.capped };
}
