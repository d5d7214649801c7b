import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Template } from '@huggingface/jinja';

export interface ParityResult {
  match: boolean;
  /** Why it differs: the spec file changed, or the two renders differ (first differing offset). */
  detail?: string;
}

/**
 * The shadow check of prompt parity: for a sample of requests, renders the prompt again by a second
 * path — the spec file read afresh, the context cut by its own code, the turns put through the
 * model's own chat template (what the trainer's tokenizer applies) — and compares it with the
 * prompt that was served. A mismatch means the server and training disagree about the prompt.
 *
 * @example
 * const parity = createParityCheck({ specPath, sha256, chatTemplate: engine.chatTemplate, sampleRate: 0.1 });
 * parity.sample(context, prompt, (r) => r.match || metrics.parityMismatches++);
 */
export interface ParityCheck {
  /** Maybe checks this request (off the reply path); `onResult` is called when it did. */
  sample(context: string, servedPrompt: string, onResult: (result: ParityResult) => void): void;
  /** Checks now (tests, startup self-check). */
  check(context: string, servedPrompt: string): Promise<ParityResult>;
}

interface SpecFields {
  system: string;
  user_template: string;
  context: { max_words: number; empty: string };
}

export function createParityCheck(options: {
  specPath: string;
  /** sha256 of the spec the server loaded. */
  sha256: string;
  chatTemplate: string | null;
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
      { role: 'system', content: spec.system },
      { role: 'user', content: user },
    ];
    if (template) return template.render({ messages, add_generation_prompt: true, bos_token: '', eos_token: '' });
    return `${messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('')}<|im_start|>assistant\n`;
  };

  const check = async (context: string, servedPrompt: string): Promise<ParityResult> => {
    const bytes = await readFile(options.specPath);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== options.sha256) return { match: false, detail: `prompt spec file changed since the server loaded it (${sha256.slice(0, 12)} ≠ ${options.sha256.slice(0, 12)})` };
    const expected = render(JSON.parse(bytes.toString('utf8')) as SpecFields, context);
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
