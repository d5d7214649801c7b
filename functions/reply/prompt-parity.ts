import { createHash } from 'node:crypto';
import { Template } from '@huggingface/jinja';
import { CHATML, familyMessages, renderTemplatePrompt, type ChatTemplate } from '../prompt/chat-templates.ts';
import type { TrainedPromptSpec } from './reply-engine.ts';

export interface ParityResult {
  match: boolean;
  /** Why it differs: the adapter was trained with another spec, or the two renders differ (first differing offset). */
  detail?: string;
}

/**
 * The shadow check of prompt parity: for a sample of requests, renders the prompt again by a second
 * path and compares it with the prompt that was served. The reference is the spec the served adapter
 * was trained with: the spec text the server holds must hash to the sha256 its run recorded (then
 * those bytes are the trained spec), and is rendered afresh from them — the context cut by its own
 * code, the turns put through the model's own chat template (what the trainer's tokenizer applies).
 * The base model alone (or a run that recorded no spec) is checked against the server's spec text.
 * A mismatch means the server and training disagree about the prompt.
 *
 * @example
 * const parity = createParityCheck({ spec, trainedSpec: () => adapter?.prompt_spec ?? null, chatTemplate: engine.chatTemplate, sampleRate: 0.1 });
 * parity.sample(context, prompt, (r) => r.match || metrics.parityMismatches++);
 */
export interface ParityCheck {
  /** Maybe checks this request (off the reply path); `onResult` is called when it did. */
  sample(context: string, servedPrompt: string, onResult: (result: ParityResult) => void): void;
  /** Checks now (tests, startup self-check). */
  check(context: string, servedPrompt: string): Promise<ParityResult>;
}

interface SpecFields {
  version: string;
  system: string;
  user_template: string;
  context: { max_words: number; empty: string };
}

export function createParityCheck(options: {
  /** The bytes of the spec the server renders with (LoadedPromptSpec.text) and the sha256 it identifies them by. */
  spec: { text: string; sha256: string };
  /** The prompt spec the served adapter was trained with (run.json); null for the base model or a run that recorded none. */
  trainedSpec: () => TrainedPromptSpec | null;
  chatTemplate: string | null;
  /** The family, BOS and EOS the server renders in (ChatML without them by default). */
  template?: ChatTemplate;
  /** Fraction of requests checked, 0..1. */
  sampleRate: number;
  random?: () => number;
}): ParityCheck {
  const random = options.random ?? Math.random;
  const template = options.chatTemplate ? new Template(options.chatTemplate) : null;

  const render = (spec: SpecFields, context: string): string => {
    const words = context.trim().length === 0 ? [] : context.trim().split(/\s+/u);
    const said = words.length === 0 ? spec.context.empty : words.slice(Math.max(0, words.length - spec.context.max_words)).join(' ');
    const at = spec.user_template.indexOf('{context}');
    const user = spec.user_template.slice(0, at) + said + spec.user_template.slice(at + '{context}'.length);
    const messages = [
      { role: 'system' as const, content: spec.system },
      { role: 'user' as const, content: user },
    ];
    const served = options.template ?? CHATML;
    if (template) return template.render({ messages: familyMessages(served.family, messages), add_generation_prompt: true, bos_token: served.bos, eos_token: served.eos });
    return renderTemplatePrompt(served, messages);
  };

  const check = async (context: string, servedPrompt: string): Promise<ParityResult> => {
    const bytes = options.spec.text;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const spec = JSON.parse(bytes) as SpecFields;
    const trained = options.trainedSpec();
    const held = `${spec.version} (${sha256.slice(0, 12)}…)`;
    if (sha256 !== options.spec.sha256) return { match: false, detail: `the server's prompt spec text hashes to ${held}, not to the ${options.spec.sha256.slice(0, 12)}… it was loaded as` };
    if (trained?.sha256 && trained.sha256 !== sha256) return { match: false, detail: `the adapter was trained with prompt spec ${trained.version ?? '(unnamed)'} (${trained.sha256.slice(0, 12)}…), the server renders ${held}` };
    if (!trained?.sha256 && trained?.version && trained.version !== spec.version) return { match: false, detail: `the adapter was trained with prompt spec ${trained.version}, the server renders ${held}` };
    const expected = render(spec, context);
    if (expected === servedPrompt) return { match: true };
    let i = 0;
    while (i < expected.length && expected[i] === servedPrompt[i]) i++;
    return { match: false, detail: `renders differ at character ${i}: ${JSON.stringify(expected.slice(i, i + 24))} vs ${JSON.stringify(servedPrompt.slice(i, i + 24))}` };
  };

  return {
    check,
    sample(context, servedPrompt, onResult) {
      if (options.sampleRate <= 0 || random() >= options.sampleRate) return;
      setImmediate(() => {
        check(context, servedPrompt).then(onResult, (error: unknown) => onResult({ match: false, detail: `check failed: ${String(error)}` }));
      });
    },
  };
}
