import type { Generation, GenerateRequest } from './reply-engine.ts';
import { SequencePool, type GenerationSteps } from './sequence-pool.ts';

interface LockstepJob {
  request: GenerateRequest;
  resolve: (generation: Generation) => void;
  reject: (error: unknown) => void;
}

/**
 * K sequences that advance together. Each step, every busy sequence queues exactly one evaluation
 * (a prompt part or its next token) and the step's batch is dispatched once all have; the next step
 * starts on a later event-loop turn, when that batch is wholly done, so no batch ever holds a part of
 * one step and a part of another. Idle sequences take waiting requests in submission order at step
 * boundaries, lowest sequence first, a request going to the sequence that holds its prompt (other
 * samples of a prompt wait for it and evaluate only their own tokens). So each batch's content and
 * order, and the KV cache's layout, follow only from the requests submitted and their order — not
 * from how fast anything ran — and the same requests submitted together give the same text (with
 * sampling serialised: see serializeSampling).
 * Requests submitted while steps run join at a boundary that depends on timing: submit together.
 */
export class LockstepPool<S> extends SequencePool<S> {
  /** The prompt each sequence holds or is evaluating. */
  private readonly prompts: (string | null)[] = this.sequences.map(() => null);
  private readonly busy: ({ job: LockstepJob; steps: GenerationSteps } | null)[] = this.sequences.map(() => null);
  private readonly waiting: LockstepJob[] = [];
  private running = false;
  private retired = false;

  run(request: GenerateRequest): Promise<Generation> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (this.running) return;
      this.running = true;
      // A turn later: every request submitted in this one is waiting when the first step is planned.
      setImmediate(() => void this.loop());
    });
  }

  retire(): void {
    this.retired = true;
    if (!this.running) this.dispose();
  }

  /** Gives idle sequences work: first the samples of the prompt each holds, then new prompts in order. */
  private assign(): void {
    const take = (i: number, at: number) => {
      const job = this.waiting.splice(at, 1)[0] as LockstepJob;
      this.prompts[i] = job.request.prompt;
      this.busy[i] = { job, steps: this.steps(this.sequences[i] as S, job.request) };
    };
    this.busy.forEach((b, i) => {
      if (b) return;
      const at = this.waiting.findIndex((j) => j.request.prompt === this.prompts[i]);
      if (at >= 0) take(i, at);
    });
    this.busy.forEach((b, i) => {
      if (b) return;
      // A prompt another sequence holds or is evaluating waits for that sequence.
      const at = this.waiting.findIndex((j) => !this.prompts.includes(j.request.prompt));
      if (at >= 0) take(i, at);
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.assign();
      const active = this.busy.flatMap((b, i) => (b ? [{ ...b, i }] : []));
      if (active.length === 0) break;
      // Started in sequence order, each queues its one evaluation before anything is dispatched.
      await Promise.all(
        active.map(async ({ job, steps, i }) => {
          try {
            const step = await steps.next();
            if (!step.done) return;
            this.busy[i] = null;
            job.resolve(step.value);
          } catch (error) {
            this.busy[i] = null;
            this.prompts[i] = null;
            job.reject(error);
          }
        }),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.running = false;
    if (this.retired) this.dispose();
  }
}
