import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ChatFormatError } from './chat-format-error.ts';

export interface ReadChatBytesOptions {
  signal?: AbortSignal;
  /** Called with the number of file bytes consumed so far (compressed bytes for .gz). */
  onBytes?: (done: number, total: number) => void;
  highWaterMark?: number;
}

type Encoding = 'utf8' | 'utf16le' | 'utf16be' | 'utf32le' | 'utf32be';

/**
 * Streams a chat file as UTF-8 bytes: gunzips `.gz` (by magic number, not name), strips a UTF-8 byte
 * order mark and transcodes UTF-16/32 files (TwitchDownloader's reader accepts all of them).
 *
 * @example
 * for await (const chunk of readChatBytes('chat.json.gz')) process(chunk);
 */
export async function* readChatBytes(path: string, options: ReadChatBytesOptions = {}): AsyncGenerator<Buffer> {
  const size = await fileSize(path);
  if (size === 0) throw new ChatFormatError('empty', path, 'file is empty');
  const magic = await readHead(path, 2);
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  const file = createReadStream(path, { highWaterMark: options.highWaterMark ?? 1 << 20 });
  let consumed = 0;
  file.on('data', (chunk) => {
    consumed += chunk.length;
  });
  const streams: Readable[] = [file];
  let source: Readable = file;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    file.on('error', (error) => gunzip.destroy(error));
    source = file.pipe(gunzip);
    streams.push(gunzip);
  }
  try {
    let head: Buffer | undefined = Buffer.alloc(0);
    let decoder: ((chunk: Buffer, last: boolean) => Buffer) | undefined;
    const iterator = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    for (;;) {
      options.signal?.throwIfAborted();
      let step: IteratorResult<Buffer>;
      try {
        step = await iterator.next();
      } catch (error) {
        if (gzip) throw new ChatFormatError('truncated', path, 'gzip data is truncated or corrupt', { cause: error });
        throw new ChatFormatError('unreadable', path, `cannot read file (${(error as Error).message})`, { cause: error });
      }
      if (step.done) break;
      let chunk = step.value;
      if (head) {
        // The byte order mark decides the encoding; wait for 4 bytes to tell UTF-16 from UTF-32.
        head = Buffer.concat([head, chunk]);
        if (head.length < 4) continue;
        const bom = detectBom(head);
        if (bom.encoding !== 'utf8') decoder = transcoder(bom.encoding);
        chunk = head.subarray(bom.length);
        head = undefined;
      }
      if (decoder) chunk = decoder(chunk, false);
      options.onBytes?.(consumed, size);
      if (chunk.length > 0) yield chunk;
    }
    if (head && head.length > 0) {
      const bom = detectBom(head);
      const rest = bom.encoding === 'utf8' ? head.subarray(bom.length) : transcoder(bom.encoding)(head.subarray(bom.length), true);
      if (rest.length > 0) yield rest;
    } else if (decoder) {
      const tail = decoder(Buffer.alloc(0), true);
      if (tail.length > 0) yield tail;
    }
    options.onBytes?.(consumed, size);
  } finally {
    for (const stream of streams) stream.destroy();
  }
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ChatFormatError('unreadable', path, 'not a regular file');
    return info.size;
  } catch (error) {
    if (error instanceof ChatFormatError) throw error;
    throw new ChatFormatError('unreadable', path, `cannot open file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

function detectBom(b: Buffer): { encoding: Encoding; length: number } {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf8', length: 3 };
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return { encoding: 'utf32le', length: 4 };
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return { encoding: 'utf32be', length: 4 };
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf16le', length: 2 };
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf16be', length: 2 };
  return { encoding: 'utf8', length: 0 };
}

function transcoder(encoding: Exclude<Encoding, 'utf8'>): (chunk: Buffer, last: boolean) => Buffer {
  if (encoding === 'utf16le' || encoding === 'utf16be') {
    const decoder = new TextDecoder(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be');
    return (chunk, last) => Buffer.from(decoder.decode(chunk, { stream: !last }), 'utf8');
  }
  let carry = Buffer.alloc(0);
  const little = encoding === 'utf32le';
  return (chunk) => {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = data.length - (data.length % 4);
    const points: number[] = [];
    for (let k = 0; k < whole; k += 4) {
      const cp = little ? data.readUInt32LE(k) : data.readUInt32BE(k);
      points.push(cp > 0x10ffff ? 0xfffd : cp);
    }
    carry = Buffer.from(data.subarray(whole));
    let text = '';
    for (let k = 0; k < points.length; k += 4096) text += String.fromCodePoint(...points.slice(k, k + 4096));
    return Buffer.from(text, 'utf8');
  };
}
