import { describe, expect, it } from 'vitest';
import { integerToWords, normalizeWord } from '../../../functions/transcribe/normalize-word.ts';

describe('normalizeWord', () => {
  it.each([
    [' Okay,', 'okay'],
    ["I'm", 'im'],
    ['E-A', 'e a'],
    ['11,', 'eleven'],
    ['2017', 'two thousand seventeen'],
    ['1,000', 'one thousand'],
    ['3.14', 'three point one four'],
    ['21st', 'twenty first'],
    ['B1', 'b one'],
    ['?', ''],
    ['Évident', 'évident'],
    ['ＦＵＬＬ', 'full'],
  ])('%s -> %s', (raw, norm) => expect(normalizeWord(raw)).toBe(norm));

  it('spells large integers', () => {
    expect(integerToWords('0')).toBe('zero');
    expect(integerToWords('1000000')).toBe('one million');
    expect(integerToWords('115')).toBe('one hundred fifteen');
  });
});
