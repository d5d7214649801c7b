import { describe, expect, it } from 'vitest';
import { mediaType, toReplayMessages, transcriptLines } from '../../../web/replay/replay-data.ts';
import { byteRange } from '../../../web/replay/replay-server.ts';

describe('byteRange', () => {
  it('reads one range: open-ended, bounded (clipped to the file), a suffix', () => {
    expect(byteRange('bytes=100-', 1000)).toEqual({ start: 100, end: 999 });
    expect(byteRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(byteRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
    expect(byteRange('bytes=-10', 1000)).toEqual({ start: 990, end: 999 });
    expect(byteRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('past the end or reversed is unsatisfiable (416)', () => {
    expect(byteRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(byteRange('bytes=50-10', 1000)).toBe('unsatisfiable');
    expect(byteRange('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(byteRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it('no header, another unit, several ranges or nonsense: the whole file', () => {
    for (const header of [undefined, 'items=0-1', 'bytes=0-1,5-9', 'bytes=-', 'bytes=a-b', '']) expect(byteRange(header, 1000)).toBeNull();
  });
});

describe('replay data', () => {
  it('messages: deleted ones dropped, display name before login, in time order', () => {
    const m = (offset_ms: number, text: string, extra: Partial<{ author_display: string | null; author_login: string | null; is_deleted: boolean }> = {}) => ({
      offset_ms, text, author_display: null, author_login: 'login', is_deleted: false, ...extra,
    });
    expect(toReplayMessages([m(5, 'b', { author_display: 'Disp' }), m(1, 'a'), m(3, 'gone', { is_deleted: true }), m(2, 'c', { author_login: null })])).toEqual([
      [1, 'login', 'a'],
      [2, '', 'c'],
      [5, 'Disp', 'b'],
    ]);
  });

  it('transcript lines: the segments when there are any, else words split at pauses and every ~8 s', () => {
    const w = (word: string, start_ms: number) => ({ word, start_ms, end_ms: start_ms + 300 });
    expect(transcriptLines([w('x', 0)], [{ id: 0, start_ms: 0, end_ms: 900, text: ' hello chat ' }])).toEqual([{ start_ms: 0, end_ms: 900, text: 'hello chat' }]);
    const words = [w('okay', 0), w('chat', 400), w('we', 3000), ...Array.from({ length: 30 }, (_, i) => w(`w${i}`, 3400 + i * 400))];
    const lines = transcriptLines(words, []);
    expect(lines[0]).toEqual({ start_ms: 0, end_ms: 700, text: 'okay chat' });
    expect(lines[1]?.text.startsWith('we w0')).toBe(true);
    for (const line of lines) expect(line.end_ms - line.start_ms).toBeLessThan(8_300);
    expect(lines.map((l) => l.text).join(' ').split(' ')).toHaveLength(words.length);
  });

  it('media type by extension: browser video containers as video, audio files as audio', () => {
    expect(mediaType('/x/a.MP4')).toEqual({ kind: 'video', content_type: 'video/mp4' });
    expect(mediaType('a.flac')).toEqual({ kind: 'audio', content_type: 'audio/flac' });
    expect(mediaType('a.flv').content_type).toBe('application/octet-stream');
  });
});
