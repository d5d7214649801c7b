import type { Generation, GenerateRequest } from './reply-engine.ts';
import type { AdapterInfo } from './reply-schemas.ts';

/** One generation as steps: each `next()` awaits exactly one evaluation batch; the last returns the result. */
export type GenerationSteps = AsyncGenerator<void, Generation, void>;

/** Runs one request on a sequence, as steps. */
export type StepsOn<S> = (sequence: S, request: GenerateRequest) => GenerationSteps;

/**
 * The sequences of one context (one LoRA), running generations on them; a batching schedule decides
 * which request takes which sequence and when its steps advance (AsReadyPool, LockstepPool). Generic
 * in the sequence, which the pool only hands to `steps`, so a schedule is tested on plain objects.
 */
export abstract class SequencePool<S> {
  constructor(
    protected readonly sequences: readonly S[],
    readonly info: AdapterInfo,
    protected readonly steps: StepsOn<S>,
    /** Frees what the pool holds (its context, saved prompt states); called once. */
    private readonly release: () => Promise<unknown>,
  ) {}

  abstract run(request: GenerateRequest): Promise<Generation>;
  /** Disposed once its last generation is done. */
  abstract retire(): void;

  private gone = false;
  private settleDisposed: () => void = () => undefined;
  /** Resolves once the context and the saved prompt states are gone. */
  readonly disposed = new Promise<void>((resolve) => {
    this.settleDisposed = resolve;
  });

  protected dispose(): void {
    if (this.gone) return;
    this.gone = true;
    void this.release()
      .catch(() => undefined)
      .then(() => this.settleDisposed());
  }
}
