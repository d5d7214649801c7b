import { describe, expect, it } from 'vitest';
import { identifyVod, sanitizeVodId } from '../../../functions/ingest/identify-vod.ts';
import { parseSource, sourceName } from '../../../functions/ingest/source.ts';
import { extensionOf, objectKeys } from '../../../catalog/keys.ts';

describe('parseSource', () => {
  it('tells paths, file URLs, http URLs and Twitch ids apart', () => {
    expect(parseSource('clips/a.mp4', '/data')).toEqual({ kind: 'file', path: '/data/clips/a.mp4' });
    expect(parseSource('file:///tmp/a%20b.mp4')).toEqual({ kind: 'file', path: '/tmp/a b.mp4' });
    expect(parseSource('https://example.org/v.mp4?x=1')).toEqual({ kind: 'http', url: 'https://example.org/v.mp4?x=1' });
    expect(parseSource('twitch:1986381866')).toEqual({ kind: 'twitch', id: '1986381866' });
    expect(parseSource('twitch:v42')).toEqual({ kind: 'twitch', id: '42' });
  });

  it('names sources for keys', () => {
    expect(sourceName(parseSource('https://example.org/path/vod.MP4'))).toBe('vod.MP4');
    expect(sourceName(parseSource('twitch:7'))).toBe('twitch-7.mp4');
    expect(extensionOf('vod.MP4')).toBe('mp4');
    expect(extensionOf('chat.json.gz')).toBe('json.gz');
    expect(extensionOf('noext')).toBe('bin');
  });
});

describe('identifyVod', () => {
  it('prefers the given id, then the Twitch id (content ids: identify-vod.test.ts)', async () => {
    expect(await identifyVod({ video: '/x/a.mp4', vod_id: 'My VOD #1' })).toBe('my-vod-1');
    expect(await identifyVod({ video: 'twitch:123' })).toBe('123');
  });

  it('rejects ids with nothing usable', () => {
    expect(() => sanitizeVodId('!!!')).toThrow(/no usable characters/);
  });
});

describe('objectKeys', () => {
  it('are content-addressed under the DESIGN.md prefixes', () => {
    expect(objectKeys.vod('v1', 'abc', 'mp4')).toBe('bronze/vods/v1/abc.mp4');
    expect(objectKeys.chat('v1', 'def', 'json')).toBe('bronze/chat/v1/def.json');
    expect(objectKeys.audio('v1', '123')).toBe('silver/audio/v1/123.flac');
  });
});
