import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Json } from './json.js';
import { decodeProtobuf, isProtobuf } from './protobuf.js';
import { ApiError } from './status.js';

const MAX_BODY = 3 * 1024 * 1024;

/** Answer with a JSON body. */
export function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

/** Answer with a plain-text body. */
export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Read a request body as JSON (or the protobuf kinds kubectl sends); `whenEmpty` stands in for an empty body. */
export async function readJson(req: IncomingMessage, whenEmpty?: Json): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ApiError(413, 'Request entity too large: limit is 3145728', 'RequestEntityTooLarge');
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (/protobuf/.test(req.headers['content-type'] ?? '') || isProtobuf(body)) return decodeProtobuf(body);
  const text = body.toString('utf8');
  if (text.trim() === '' && whenEmpty !== undefined) return whenEmpty;
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new ApiError(400, `the body of the request could not be decoded as JSON: ${(err as Error).message}`);
  }
}
