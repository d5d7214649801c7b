import { z } from 'zod';
import { PairLabel, REJECT_REASONS } from '../align/pair.ts';

/**
 * Requests the review page makes of its server. Each is validated before use; a failure becomes a
 * 400 whose JSON names the field.
 */

/** An empty query parameter (`?tier=`) means "no filter". */
const optionalParam = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

export const VERDICTS = ['accept', 'reject'] as const;
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

/** `reason=any` lists every rejected message; a named reason lists those rejected for it. */
export const ReasonFilter = z.enum([...REJECT_REASONS, 'any']);

/**
 * `GET /api/pairs?tier=&label=&reason=`. Without `reason` the page lists pairs; with it, rejected
 * messages, which have no tier or label, so the two kinds of filter do not mix.
 *
 * @example
 * PairsQuery.parse({ tier: '2', label: '' }) // { tier: 2 }
 */
export const PairsQuery = z
  .strictObject({
    tier: optionalParam(z.enum(['0', '1', '2']).transform(Number)),
    label: optionalParam(PairLabel),
    reason: optionalParam(ReasonFilter),
  })
  .refine((q) => q.reason === undefined || (q.tier === undefined && q.label === undefined), {
    message: 'reason lists rejected messages, which have no tier or label: filter by one or the other',
    path: ['reason'],
  });
export type PairsQuery = z.infer<typeof PairsQuery>;

/** `POST /api/reviews` body. The reviewer is the server's, never the request's. */
export const ReviewRequest = z.strictObject({
  pair_id: z.string().min(1).max(200),
  verdict: Verdict,
  note: z
    .string()
    .max(2_000)
    .transform((s) => s.trim())
    .nullish()
    .transform((s) => (s ? s : null)),
});
export type ReviewRequest = z.infer<typeof ReviewRequest>;

/** The `<id>` of `GET /api/clip/<id>`: a pair id, or a rejected message's item id. */
export const ClipId = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'not an item id');

/** Turns a zod failure into the JSON body of a 400: one line per field. */
export function validationError(error: z.ZodError): { error: string; issues: { path: string; message: string }[] } {
  const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
  return { error: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues };
}
