/** 16-bit mono PCM and the few WAV operations the sample needs; pure, no I/O. */
export interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

/**
 * Reads 16-bit mono PCM from a WAV file. espeak-ng writing to stdout cannot seek back, so its
 * RIFF and data sizes are placeholders (0x7ffff000): the data runs to the end of the buffer.
 *
 * @example
 * parseWav(await readFile('word.wav')).sampleRate; // 22050
 */
export function parseWav(bytes: Uint8Array): Pcm {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV file');
  let sampleRate = 0;
  for (let at = 12; at + 8 <= bytes.byteLength;) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ') {
      const format = view.getUint16(at + 8, true);
      const channels = view.getUint16(at + 10, true);
      const bits = view.getUint16(at + 22, true);
      if (format !== 1 || channels !== 1 || bits !== 16) {
        throw new Error(`WAV is format ${format}, ${channels} channels, ${bits} bits; need 16-bit mono PCM`);
      }
      sampleRate = view.getUint32(at + 12, true);
    } else if (id === 'data') {
      if (sampleRate === 0) throw new Error('WAV data chunk before its fmt chunk');
      const end = Math.min(bytes.byteLength, at + 8 + size);
      const count = Math.floor((end - at - 8) / 2);
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = view.getInt16(at + 8 + 2 * i, true);
      return { sampleRate, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('WAV has no data chunk');
}

/** A canonical 44-byte-header WAV of 16-bit mono PCM. */
export function encodeWav(pcm: Pcm): Buffer {
  const data = pcm.samples.length * 2;
  const out = Buffer.alloc(44 + data);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(pcm.sampleRate, 24);
  out.writeUInt32LE(pcm.sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(data, 40);
  for (let i = 0; i < pcm.samples.length; i++) out.writeInt16LE(pcm.samples[i] as number, 44 + 2 * i);
  return out;
}

/** Below this amplitude (about −38 dBFS) a sample counts as silence. */
export const SILENCE_THRESHOLD = 400;

/**
 * Cuts leading and trailing silence, keeping `padMs` either side so soft onsets (an "f", an "h")
 * survive. The ground truth takes word boundaries from what is left.
 *
 * @example
 * trimSilence({ sampleRate: 22050, samples }, 5).samples.length;
 */
export function trimSilence(pcm: Pcm, padMs = 5): Pcm {
  const { samples } = pcm;
  let first = 0;
  while (first < samples.length && Math.abs(samples[first] as number) < SILENCE_THRESHOLD) first++;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last] as number) < SILENCE_THRESHOLD) last--;
  if (first >= samples.length) return { sampleRate: pcm.sampleRate, samples: new Int16Array(0) };
  const pad = Math.round((padMs * pcm.sampleRate) / 1000);
  return { sampleRate: pcm.sampleRate, samples: samples.slice(Math.max(0, first - pad), Math.min(samples.length, last + 1 + pad)) };
}

/** Length of a clip in whole ms, rounded up so a word's interval always covers its samples. */
export function durationMs(pcm: Pcm): number {
  return Math.ceil((pcm.samples.length * 1000) / pcm.sampleRate);
}
