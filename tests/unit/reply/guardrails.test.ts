import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBannedPhrases, loadBannedPhrases, parseBannedPhrases } from '../../../functions/reply/guardrails/banned-phrases.ts';
import { reviewCandidate, type Guardrails } from '../../../functions/reply/guardrails/guardrails.ts';
import { capLength } from '../../../functions/reply/guardrails/length-cap.ts';
import { RecentReplies } from '../../../functions/reply/guardrails/recent-replies.ts';
import { createToxicityFilter } from '../../../functions/reply/guardrails/toxicity.ts';
import { createViewerNameScrubber, hashedViewerNames, loadViewerNames, viewerNames } from '../../../functions/reply/guardrails/viewer-names.ts';

const none: Guardrails = { toxicity: null, banned: null, scrubViewerNames: null, maxChars: null, recent: null, maxRegenerations: 3 };
const ctx = { index: 0, attempt: 0, accepted: [] as string[], repeatKey: 'k' };

describe('toxicity', () => {
  const filter = createToxicityFilter();
  it('flags profanity, also disguised', () => {
    expect(filter.find('what the fuck was that')).toBe('fuck');
    expect(filter.find('you are a b1tch')).not.toBeNull();
    expect(filter.find('fuuuuck this level')).toBe('fuck');
    expect(filter.find('just KYS')).toBe('kill yourself');
  });
  it('passes clean chat, including words that merely contain a bad one', () => {
    for (const text of ['POGGERS we did it', 'LUL the pigeon', 'classic doug moment', 'assassin creed speedrun', 'Scunthorpe United', 'skystone']) {
      expect(filter.find(text), text).toBeNull();
    }
  });
});

describe('banned phrases', () => {
  const banned = createBannedPhrases(['free vbucks', 'gg', ':)', '  Spaced   Out ']);
  it('matches case-insensitively as whole words, across whitespace runs', () => {
    expect(banned.find('get FREE   vbucks now')).toBe('free vbucks');
    expect(banned.find('GG wp')).toBe('gg');
    expect(banned.find('so spaced out today')).toBe('Spaced Out');
  });
  it('does not match inside other words', () => {
    expect(banned.find('eggs and ham')).toBeNull();
    expect(banned.find('freevbucks')).toBeNull();
    expect(banned.find('ggez')).toBeNull();
  });
  it('matches phrases that start or end with punctuation', () => {
    expect(banned.find('nice :)')).toBe(':)');
  });
  it('reads a file: comments, blank lines, BOM and CRLF', () => {
    expect(parseBannedPhrases('\uFEFF# comment\r\nfoo bar\r\n\r\n baz \n')).toEqual(['foo bar', 'baz']);
    const dir = mkdtempSync(join(tmpdir(), 'banned-'));
    writeFileSync(join(dir, 'b.txt'), 'Kappa123\n');
    expect(loadBannedPhrases(join(dir, 'b.txt')).find('kappa123 lol')).toBe('Kappa123');
  });
});

describe('viewer names', () => {
  const scrub = createViewerNameScrubber({ placeholder: '@viewer', streamerNames: ['dougdoug'], names: viewerNames(['CoolGuy42', '@pigeon_fan']) });
  it('replaces @mentions and listed logins with the placeholder', () => {
    expect(scrub('@someone look, coolguy42 and PIGEON_FAN are here')).toEqual({ text: '@viewer look, @viewer and @viewer are here', count: 3 });
  });
  it('keeps the placeholder and the streamer, and never turns the placeholder into a name', () => {
    expect(scrub('@viewer @DougDoug dougdoug hi')).toEqual({ text: '@viewer @DougDoug dougdoug hi', count: 0 });
    expect(scrub('@viewer123 hi')).toEqual({ text: '@viewer hi', count: 1 });
  });
  it('leaves words that are not listed logins', () => {
    expect(scrub('cool guy 42 pigeon')).toEqual({ text: 'cool guy 42 pigeon', count: 0 });
  });
  it("matches a dataset's salted hashes without storing logins", () => {
    const salt = 's4lt';
    const names = hashedViewerNames({ salt, sha256: [createHash('sha256').update(`${salt}coolguy42`).digest('hex')] });
    const hashed = createViewerNameScrubber({ placeholder: '@viewer', streamerNames: [], names });
    expect(hashed('CoolGuy42 says hi').text).toBe('@viewer says hi');
    const dir = mkdtempSync(join(tmpdir(), 'viewers-'));
    writeFileSync(join(dir, 'viewers.json'), JSON.stringify({ salt, sha256: [createHash('sha256').update(`${salt}abcd`).digest('hex')] }));
    writeFileSync(join(dir, 'viewers.txt'), '# logins\nAbcd\n');
    expect(loadViewerNames(join(dir, 'viewers.json')).has('abcd')).toBe(true);
    expect(loadViewerNames(join(dir, 'viewers.txt')).has('abcd')).toBe(true);
  });
});

describe('length cap', () => {
  it('cuts at a word break, within the cap', () => {
    expect(capLength('this is a very long message', 12)).toBe('this is a');
    expect(capLength('short', 12)).toBe('short');
  });
  it('cuts mid-word when there is no break in the second half, never splitting an emoji', () => {
    expect(capLength('aaaaaaaaaaaaaaaa', 5)).toBe('aaaaa');
    const capped = capLength('😀😀😀😀😀😀', 3);
    expect(Array.from(capped)).toEqual(['😀', '😀', '😀']);
  });
});

describe('recent replies', () => {
  it('sees a repeat through case, punctuation and spacing, within the window only', () => {
    const recent = new RecentReplies(2);
    recent.remember('Pog', 'a');
    expect(recent.isRepeat('POG!!', 'b')).toBe(true);
    recent.remember('one', 'a');
    recent.remember('two', 'a');
    expect(recent.isRepeat('pog', 'b')).toBe(false);
  });
  it('does not count the same seeded request asked again', () => {
    const recent = new RecentReplies(10);
    recent.remember('same reply', 'ctx:42');
    expect(recent.isRepeat('same reply', 'ctx:42')).toBe(false);
    expect(recent.isRepeat('same reply', 'other')).toBe(true);
  });
});

describe('reviewCandidate', () => {
  it('rejects empty, toxic and banned replies for another sample', () => {
    expect(reviewCandidate('   ', none, ctx)).toMatchObject({ verdict: 'reject', guardrail: 'empty' });
    expect(reviewCandidate('fuck this', { ...none, toxicity: createToxicityFilter() }, ctx)).toMatchObject({ verdict: 'reject', guardrail: 'toxicity' });
    expect(reviewCandidate('gg no re', { ...none, banned: createBannedPhrases(['gg']) }, ctx)).toMatchObject({ verdict: 'reject', guardrail: 'banned_phrase', detail: 'gg' });
  });
  it('scrubs names and caps length, logging both, and keeps the reply', () => {
    const g: Guardrails = { ...none, scrubViewerNames: createViewerNameScrubber({ placeholder: '@viewer', streamerNames: [] }), maxChars: 20 };
    const review = reviewCandidate('@bob this is a long reply about the stream', g, { ...ctx, index: 2, attempt: 1 });
    expect(review).toEqual({
      verdict: 'accept',
      text: '@viewer this is a',
      actions: [
        { guardrail: 'viewer_name', action: 'scrub', index: 2, attempt: 1, detail: '1 name(s)' },
        { guardrail: 'length_cap', action: 'truncate', index: 2, attempt: 1, detail: '45 > 20 chars' },
      ],
    });
  });
  it('rejects a repeat of a recent reply or of another reply of the same request', () => {
    const recent = new RecentReplies(5);
    recent.remember('KEKW', 'earlier');
    const g = { ...none, recent };
    expect(reviewCandidate('kekw', g, ctx)).toMatchObject({ verdict: 'reject', guardrail: 'repetition' });
    expect(reviewCandidate('nice', g, { ...ctx, accepted: ['Nice!'] })).toMatchObject({ verdict: 'reject', guardrail: 'repetition' });
    expect(reviewCandidate('nice', g, ctx)).toMatchObject({ verdict: 'accept', text: 'nice' });
  });
});
