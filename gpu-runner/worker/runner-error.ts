/** Why a Python job did not produce a result: its input is wrong (no retry helps), it failed, or it was cancelled. */
export type RunnerErrorKind = 'bad-input' | 'failed' | 'cancelled' | 'protocol';

/**
 * The one error type of the runner boundary. Branch on `kind`, never on the message.
 *
 * @example
 * catch (error) { if (error instanceof RunnerError && error.kind === 'bad-input') throw nonRetryable(error); }
 */
export class RunnerError extends Error {
  readonly kind: RunnerErrorKind;
  readonly exitCode: number | null;
  /** Last lines the job wrote to stderr, for the log. */
  readonly stderrTail: string;

  constructor(
    kind: RunnerErrorKind,
    message: string,
    options: { exitCode?: number | null; stderrTail?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RunnerError';
    this.kind = kind;
    this.exitCode = options.exitCode ?? null;
    this.stderrTail = options.stderrTail ?? '';
  }
}
