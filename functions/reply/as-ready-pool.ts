import type { Generation, GenerateRequest } from './reply-engine.ts';
import { SequencePool } from './sequence-pool.ts';

/**
 * Sequences taken by whichever request comes first; evaluations batched as they are queued (the
 * server's schedule: the lowest latency, batches that depend on timing). More requests than
 * sequences wait for one, in arrival order.
 */
export class AsReadyPool<S> extends SequencePool<S> {
  private readonly free = [...this.sequences];
  private readonly waiting: ((sequence: S) => void)[] = [];
  private active = 0;
  private retired = false;

  async run(request: GenerateRequest): Promise<Generation> {
    this.active++;
    const sequence = this.free.pop() ?? (await new Promise<S>((resolve) => this.waiting.push(resolve)));
    try {
      const steps = this.steps(sequence, request);
      for (;;) {
        const step = await steps.next();
        if (step.done) return step.value;
      }
    } finally {
      this.hand(sequence);
    }
  }

  /** Gives the sequence to the next waiting request, else back to the free ones. */
  private hand(sequence: S): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next(sequence);
    else this.free.push(sequence);
    if (this.retired && this.active === 0) this.dispose();
  }

  retire(): void {
    this.retired = true;
    if (this.active === 0) this.dispose();
  }
}
