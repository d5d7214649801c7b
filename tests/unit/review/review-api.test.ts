import { describe, expect, it } from 'vitest';
import { ClipId, PairsQuery, ReviewRequest, validationError } from '../../../functions/review/review-api.ts';

describe('PairsQuery', () => {
  it('treats empty parameters as no filter and turns the tier into a number', () => {
    expect(PairsQuery.parse({ tier: '', label: '', reason: '' })).toEqual({});
    expect(PairsQuery.parse({ tier: '2', label: 'reaction' })).toEqual({ tier: 2, label: 'reaction' });
    expect(PairsQuery.parse({ reason: 'bot' })).toEqual({ reason: 'bot' });
    expect(PairsQuery.parse({ reason: 'any' })).toEqual({ reason: 'any' });
  });

  it('refuses unknown tiers, labels, reasons and parameters, naming the field', () => {
    for (const [bad, field] of [[{ tier: '3' }, 'tier'], [{ tier: '1.0' }, 'tier'], [{ label: 'joke' }, 'label'], [{ reason: 'spam' }, 'reason'], [{ page: '2' }, '']] as const) {
      const result = PairsQuery.safeParse(bad);
      expect(result.success, JSON.stringify(bad)).toBe(false);
      if (!result.success && field) expect(validationError(result.error).issues[0]?.path).toBe(field);
    }
  });

  it('does not mix a reject reason with tier or label filters', () => {
    const result = PairsQuery.safeParse({ tier: '1', reason: 'bot' });
    expect(result.success).toBe(false);
    if (!result.success) expect(validationError(result.error).error).toMatch(/^reason: /);
  });
});

describe('ReviewRequest', () => {
  it('accepts a verdict with or without a note, trimming it', () => {
    expect(ReviewRequest.parse({ pair_id: 'p1', verdict: 'accept' })).toEqual({ pair_id: 'p1', verdict: 'accept', note: null });
    expect(ReviewRequest.parse({ pair_id: 'p1', verdict: 'reject', note: '  wrong line ' })).toEqual({ pair_id: 'p1', verdict: 'reject', note: 'wrong line' });
    expect(ReviewRequest.parse({ pair_id: 'p1', verdict: 'reject', note: '   ' }).note).toBeNull();
    expect(ReviewRequest.parse({ pair_id: 'p1', verdict: 'reject', note: null }).note).toBeNull();
  });

  it('refuses bad verdicts, missing ids, long notes and extra fields', () => {
    const bad = [
      { pair_id: 'p1', verdict: 'maybe' },
      { verdict: 'accept' },
      { pair_id: '', verdict: 'accept' },
      { pair_id: 'p1', verdict: 'accept', note: 'x'.repeat(2_001) },
      { pair_id: 'p1', verdict: 'accept', reviewer: 'someone-else' },
      [],
      'accept',
    ];
    for (const body of bad) expect(ReviewRequest.safeParse(body).success, JSON.stringify(body)).toBe(false);
  });

  it('reports failures as one line per field', () => {
    const result = ReviewRequest.safeParse({ pair_id: 7, verdict: 'maybe' });
    expect(result.success).toBe(false);
    if (!result.success) {
      const body = validationError(result.error);
      expect(body.issues.map((i) => i.path).sort()).toEqual(['pair_id', 'verdict']);
      expect(body.error.split('\n')).toHaveLength(1);
    }
  });
});

describe('ClipId', () => {
  it('takes pair ids and item ids, not paths', () => {
    expect(ClipId.safeParse('a3f09c1e22b0d7e4a3f09c1e22b0d7e4').success).toBe(true);
    expect(ClipId.safeParse('msg-0123456789abcdef01234567').success).toBe(true);
    for (const bad of ['', '../../etc/passwd', 'a/b', 'x'.repeat(201), 'a b']) expect(ClipId.safeParse(bad).success, bad).toBe(false);
  });
});
