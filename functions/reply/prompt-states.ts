import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What PromptStates needs of a sequence: llama.cpp's per-sequence state saved to a file. */
export interface StateSaving {
  saveStateToFile(file: string): Promise<unknown>;
}

/** Prompts a lockstep pool keeps saved, per sequence: a simulation's window of prefetched requests. */
export const STATES_PER_SEQUENCE = 8;

/**
 * Evaluated prompts saved to files (llama.cpp's per-sequence state: the tokens and their KV cells),
 * newest `limit` kept. A lockstep pool saves each prompt it evaluates; a later request for one of
 * them — a simulation's redraw of a sample the guardrails rejected, long after its sequence moved
 * on — loads it instead of evaluating the prompt again, alone, token by token. The loaded numbers
 * are the ones the first samples used.
 *
 * @example
 * const states = await PromptStates.open(16);
 * await states.save(sequence, prompt); // after evaluating it
 * const file = states.take(prompt);    // later: sequence.loadStateFromFile(file, { acceptRisk: true })
 */
export class PromptStates {
  private readonly files = new Map<string, string>();
  private next = 0;

  private constructor(private readonly dir: string, private readonly limit: number) {}

  static async open(limit: number): Promise<PromptStates> {
    return new PromptStates(await mkdtemp(join(tmpdir(), 'dougpt-prompt-states-')), limit);
  }

  /** The file holding the prompt's state, marked as just used; null when none is kept. */
  take(prompt: string): string | null {
    const file = this.files.get(prompt);
    if (file === undefined) return null;
    this.files.delete(prompt);
    this.files.set(prompt, file);
    return file;
  }

  /** Saves the sequence's state as the prompt's; a failed save (a full disk) only loses the shortcut. */
  async save(sequence: StateSaving, prompt: string): Promise<void> {
    const file = join(this.dir, `${this.next++}.state`);
    try {
      await sequence.saveStateToFile(file);
    } catch {
      await this.remove(file);
      return;
    }
    this.files.set(prompt, file);
    for (const [old, path] of this.files) {
      if (this.files.size <= this.limit) break;
      this.files.delete(old);
      await this.remove(path);
    }
  }

  forget(prompt: string): void {
    const file = this.files.get(prompt);
    this.files.delete(prompt);
    if (file) void this.remove(file);
  }

  async close(): Promise<void> {
    this.files.clear();
    await this.remove(this.dir);
  }

  private async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }
}
