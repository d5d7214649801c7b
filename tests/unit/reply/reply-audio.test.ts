import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { contextFromAudio } from '../../../functions/reply/context-from-audio.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';

const espeak = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v espeak-ng'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();

describe('dougpt reply --audio', () => {
  it.skipIf(!espeak)('hears the streamer in a clip and uses the words as the context', async () => {
    const clip = join(mkdtempSync(join(tmpdir(), 'dougpt-reply-audio-')), 'clip.wav');
    execFileSync(espeak as string, ['-w', clip, 'okay chat we are going to the left this time']);
    const context = await contextFromAudio(clip);
    expect(context.split(' ').length).toBeGreaterThan(2);
    expect(context.toLowerCase()).toMatch(/going|left|time|chat/);
  });

  it('a missing clip or no context at all is bad input with one line', async () => {
    const cli = join(REPO_ROOT, 'bin', 'dougpt.js');
    const missing = await execa(process.execPath, [cli, 'reply', '--audio', '/no/such/clip.wav'], { reject: false });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^dougpt: --audio .*clip\.wav.*not found/);
    const none = await execa(process.execPath, [cli, 'reply'], { reject: false });
    expect(none.exitCode).toBe(2);
  });
});
