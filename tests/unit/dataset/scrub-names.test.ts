import { describe, expect, it } from 'vitest';
import { createNameScrubber } from '../../../functions/dataset/scrub-names.ts';

describe('viewer-name scrubbing', () => {
  const s = createNameScrubber(['Kleeble', 'quack_001', 'bob', 'LUL', 'general', 'dougdoug'], {
    placeholder: '@viewer',
    streamerNames: ['dougdoug'],
    emoteNames: new Set(['LUL']),
  });
  it('replaces mentions and distinctive bare logins, keeps the streamer and emotes', () => {
    expect(s.scrub('@Kleeble lol quack_001 said hi to @DougDoug')).toBe('@viewer lol @viewer said hi to @DougDoug');
    expect(s.scrub('thanks kleeble for the sub LUL')).toBe('thanks @viewer for the sub LUL');
    expect(s.scrub('@someone_not_in_chat hi')).toBe('@viewer hi');
  });
  it('leaves short logins that are ordinary words, and is idempotent', () => {
    expect(s.scrub('bob is here')).toBe('bob is here');
    expect(s.scrub(s.scrub('@Kleeble hi'))).toBe('@viewer hi');
  });
});

describe('viewer-name scrubbing beyond ASCII', () => {
  const s = createNameScrubber(['kleeble'], { placeholder: '@viewer', streamerNames: ['dougdoug'] });
  it('replaces mentions of non-ASCII display names and keeps other text', () => {
    expect(s.scrub('@日本語ユーザー おはよう kleeble')).toBe('@viewer おはよう @viewer');
    expect(s.scrub('naïve café @Zoë!')).toBe('naïve café @viewer!');
  });
});
