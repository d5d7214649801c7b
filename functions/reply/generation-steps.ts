import type { LlamaContextSequence, LlamaContextSequenceRepeatPenalty, LlamaModel, Token } from 'node-llama-cpp';
import type { PromptStates } from './prompt-states.ts';
import type { GenerateRequest, PromptReuse } from './reply-engine.ts';
import type { AdapterInfo } from './reply-schemas.ts';
import type { GenerationSteps } from './sequence-pool.ts';

/** The ChatML end of turn: the model's end-of-generation token, also matched as text to be safe. */
export const END_OF_TURN = '<|im_end|>';

/**
 * node-llama-cpp's penalty settings for a request, over the reply's tokens so far (all of them: the
 * window is the reply's token budget); null when the request sets none, so the sampler chain is
 * exactly the one without penalties.
 *
 * @example
 * penaltiesOf({ ...request, frequencyPenalty: 1.5 }, () => out) // { punishTokens, maxPunishTokens: request.maxTokens, penalty: 1, presencePenalty: 0, frequencyPenalty: 1.5 }
 */
export function penaltiesOf(request: GenerateRequest, generated: () => Token[]): LlamaContextSequenceRepeatPenalty | null {
  const presencePenalty = request.presencePenalty ?? 0;
  const frequencyPenalty = request.frequencyPenalty ?? 0;
  const penalty = request.repeatPenalty ?? 1;
  if (presencePenalty === 0 && frequencyPenalty === 0 && penalty === 1) return null;
  return { punishTokens: generated, maxPunishTokens: Math.max(1, request.maxTokens), penalty, presencePenalty, frequencyPenalty };
}

/** Where the first of `stops` begins in `text`; -1 when none occurs. */
export function firstStop(text: string, stops: readonly string[]): number {
  let cut = -1;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

/** Runs one request on a sequence of a context with this adapter, saving prompts to `states` (lockstep). */
export type GenerationOn = (sequence: LlamaContextSequence, request: GenerateRequest, info: AdapterInfo, states: PromptStates | null) => GenerationSteps;

/**
 * How one generation runs on a sequence, as steps of one evaluation batch each, for every pool of a
 * model. Prompts are tokenized with special tokens parsed (`<|im_start|>` is one token), exactly as
 * rendered. A prompt is always evaluated in the same batches — [kept prefix], [the rest of its
 * body], [its last token, alone: generation needs the logits of a freshly evaluated token] — so
 * reusing an evaluation gives the very numbers a fresh one would, and the same seed and prompt give
 * the same text whatever ran before. The sequence is left holding the prompt's body: another sample
 * of it (`n` > 1, a simulation's messages to one phrase) evaluates only the last token; with
 * `states` (lockstep) the body's evaluation is also saved, and a later sample of it on any sequence
 * loads it. `reuse` counts how each prompt was had.
 *
 * @example
 * const steps = createGenerationSteps({ model, prefix: model.tokenize(systemTurn, true), reuse });
 * new AsReadyPool(sequences, info, (s, r) => steps(s, r, info, null), release);
 */
export function createGenerationSteps(deps: { model: LlamaModel; prefix: readonly Token[]; reuse: PromptReuse }): GenerationOn {
  const { model, prefix, reuse } = deps;
  const hasPrefix = (tokens: readonly Token[]) => tokens.length >= prefix.length && prefix.every((t, i) => tokens[i] === t);
  const same = (a: readonly Token[], b: readonly Token[]) => a.length === b.length && a.every((t, i) => b[i] === t);
  /** The prompt body (all but its last token) whose evaluation each sequence holds. */
  const held = new WeakMap<LlamaContextSequence, Token[]>();

  return async function* generationSteps(sequence, request, info, states) {
    const tokens = model.tokenize(request.prompt, true);
    const body = tokens.slice(0, -1);
    let before = held.get(sequence);
    held.delete(sequence);
    const holds = before !== undefined && same(before, body);
    const saved = holds ? null : (states?.take(request.prompt) ?? null);
    let loaded = false;
    if (saved) {
      // Emptied first: a load that fails then leaves the sequence empty, not half what it held.
      await sequence.clearHistory();
      before = undefined;
      try {
        await sequence.loadStateFromFile(saved, { acceptRisk: true });
        loaded = true;
      } catch {
        // A saved state that cannot be read is only a lost shortcut: evaluate the prompt from scratch.
        states?.forget(request.prompt);
      }
      // A step of its own: this sequence then has no evaluation in the step's batch, whenever the load ends.
      yield;
    }
    // Saved after the step's batch is done, inside the step: no evaluation waits on the file.
    const save = async () => {
      if (states && body.length > 0) await states.save(sequence, request.prompt);
    };
    reuse[holds ? 'held' : loaded ? 'loaded' : 'evaluated']++;
    if (holds) {
      await sequence.eraseContextTokenRanges([{ start: body.length, end: sequence.nextTokenIndex }]);
    } else if (loaded) {
      // Holds the prompt's body, as evaluated when it was saved.
    } else if (prefix.length > 0 && body.length > prefix.length && hasPrefix(body)) {
      if (before && hasPrefix(before)) {
        await sequence.eraseContextTokenRanges([{ start: prefix.length, end: sequence.nextTokenIndex }]);
      } else {
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens([...prefix]);
        yield;
      }
      await sequence.evaluateWithoutGeneratingNewTokens(body.slice(prefix.length));
      await save();
      yield;
    } else {
      await sequence.clearHistory();
      if (body.length > 0) {
        await sequence.evaluateWithoutGeneratingNewTokens(body);
        await save();
        yield;
      }
    }
    held.set(sequence, body);

    const stops = [END_OF_TURN, ...request.stop];
    const out: Token[] = [];
    let text = '';
    let finishReason: 'stop' | 'length' = 'stop';
    const repeatPenalty = penaltiesOf(request, () => out);
    const evaluation = sequence.evaluate(tokens.slice(-1), {
      temperature: request.temperature,
      topP: request.topP,
      ...(request.topK === undefined ? {} : { topK: request.topK }),
      ...(repeatPenalty ? { repeatPenalty } : {}),
      seed: request.seed,
    });
    try {
      for (;;) {
        const next = await evaluation.next();
        if (next.done) break;
        request.signal?.throwIfAborted();
        out.push(next.value);
        text = model.detokenize(out);
        const cut = firstStop(text, stops);
        if (cut >= 0) {
          text = text.slice(0, cut);
          break;
        }
        if (out.length >= request.maxTokens) {
          finishReason = 'length';
          break;
        }
        yield;
      }
    } finally {
      await evaluation.return();
    }
    return { text, promptTokens: tokens.length, completionTokens: out.length, finishReason, adapter: info };
  };
}
