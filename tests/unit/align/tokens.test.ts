import { describe, expect, it } from 'vitest';
import { buildPhraseIndex } from '../../../functions/align/phrases.ts';
import { contentTokens, normalizeToken, tokenize } from '../../../functions/align/tokens.ts';

describe('tokens', () => {
  it('normalises case, punctuation, accents, letter runs and plurals', () => {
    expect(['JUMP!!', ' jump,', 'Jumps', "don't", 'café', 'NOOOOO', '...'].map(normalizeToken)).toEqual(['jump', 'jump', 'jump', 'dont', 'cafe', 'noo', '']);
    expect(tokenize('the PENGUIN-boss, again')).toEqual(['the', 'penguin', 'boss', 'again']);
    expect(contentTokens('the penguin and THE penguin')).toEqual(['penguin']);
  });
});

describe('phrases', () => {
  it('splits speech at pauses and gives rarer words a higher idf', () => {
    const w = (word: string, start_ms: number) => ({ word, start_ms, end_ms: start_ms + 200, confidence: null });
    const index = buildPhraseIndex([w('jump', 0), w('now', 250), w('jump', 2_000), w('penguin', 2_250), w('jump', 5_000)]);
    expect(index.phrases.map((p) => [p.start_ms, p.end_ms])).toEqual([[0, 450], [2_000, 2_450], [5_000, 5_200]]);
    expect(index.idf.get('penguin')).toBeGreaterThan(index.idf.get('jump') as number);
    expect(index.postings.get('jump')).toEqual([0, 1, 2]);
  });
});
