import { describe, expect, it } from 'vitest';
import { IngestInputError } from '../../../functions/ingest/ingest-error.ts';
import { parseFfprobe } from '../../../functions/ingest/probe-media.ts';

const probe = (streams: unknown[], format: Record<string, unknown> = { format_name: 'mov,mp4', duration: '12.5' }) => ({ streams, format });

describe('parseFfprobe', () => {
  it('reads duration, codecs, title and creation time', () => {
    const info = parseFfprobe(
      probe(
        [
          { codec_type: 'video', codec_name: 'h264' },
          { codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2 },
        ],
        { format_name: 'mov,mp4', duration: '12.5', tags: { title: 'Stream', creation_time: '2024-01-02T03:04:05.000000Z' } },
      ),
      'v.mp4',
    );
    expect(info).toEqual({
      container: 'mov,mp4',
      duration_ms: 12_500,
      video_codec: 'h264',
      audio_codec: 'aac',
      sample_rate: 48_000,
      channels: 2,
      title: 'Stream',
      created_at: '2024-01-02T03:04:05.000Z',
    });
  });

  it.each([
    ['no streams', probe([]), 'not-media'],
    ['video without audio', probe([{ codec_type: 'video', codec_name: 'h264' }]), 'no-audio'],
    ['no duration', probe([{ codec_type: 'audio' }], { format_name: 'mp4' }), 'truncated'],
    ['garbage', 'nonsense', 'not-media'],
  ])('rejects %s naming the input', (_name, json, kind) => {
    try {
      parseFfprobe(json, '/in/v.mp4');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(IngestInputError);
      expect((error as IngestInputError).kind).toBe(kind);
      expect((error as Error).message.startsWith('/in/v.mp4: ')).toBe(true);
    }
  });
});
