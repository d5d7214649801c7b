import { z } from 'zod';

/**
 * Points where tests make an ingest fail on purpose, to prove its compensation: after the media stage
 * uploaded its objects, after the chat stage uploaded its own, and inside the commit transaction
 * after its inserts (before COMMIT). Only tests set it; nothing else reads it.
 */
export const TestFailAt = z.enum(['media-uploaded', 'chat-uploaded', 'commit']);
export type TestFailAt = z.infer<typeof TestFailAt>;

/** The failure a `test_fail_at` input asks for; activities turn it into a non-retryable failure. */
export class InjectedFailure extends Error {
  constructor(readonly point: TestFailAt) {
    super(`injected failure at ${point} (test_fail_at)`);
    this.name = 'InjectedFailure';
  }
}

/** Throws `InjectedFailure` when the input asked to fail at this point. */
export function failIfAsked(requested: TestFailAt | undefined, point: TestFailAt): void {
  if (requested === point) throw new InjectedFailure(point);
}
