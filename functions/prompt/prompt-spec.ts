import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The prompt spec: one versioned JSON file that says how a streamer's context becomes a prompt.
 * The dataset builder and the reply server render with this module; the trainer and the evaluator
 * (Python) read the rendered messages and the spec's copy exported with each dataset, and apply the
 * tokenizer's chat template. A parity test proves both sides produce byte-identical prompts.
 */
export const PromptSpec = z.object({
  version: z.string().min(1),
  description: z.string().optional(),
  system: z.string().min(1),
  /** `{context}` is replaced by the rendered context. */
  user_template: z.string().includes('{context}'),
  context: z.object({
    /** Speech older than this before the moment reacted to is not part of the prompt. */
    max_ms: z.number().int().positive(),
    /** Only the last `max_words` words are kept. */
    max_words: z.number().int().positive(),
    /** Shown when the streamer said nothing in the window. */
    empty: z.string().min(1),
  }),
  reply: z.object({ max_chars: z.number().int().positive(), max_tokens: z.number().int().positive() }),
  /** Replaces viewer names inside prompts and replies. */
  viewer_placeholder: z.string().min(1),
  /** The streamer's own names (lower case): never scrubbed as viewer names. */
  streamer_names: z.array(z.string()),
  chat_template: z.literal('chatml'),
});
export type PromptSpec = z.infer<typeof PromptSpec>;

export interface ChatMessageTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A spec with the identity every dataset, run and logged reply records. */
export interface LoadedPromptSpec {
  spec: PromptSpec;
  /** sha256 of the file's bytes. */
  sha256: string;
  /** The file's bytes, exported unchanged beside each dataset. */
  text: string;
}

export const DEFAULT_PROMPT_SPEC_PATH = fileURLToPath(new URL('./prompt-spec.json', import.meta.url));

/**
 * Reads and checks a prompt spec file (the project's own by default).
 *
 * @example
 * const { spec, sha256 } = loadPromptSpec();
 * renderMessages(spec, 'okay chat we are going to win this');
 */
export function loadPromptSpec(path: string = DEFAULT_PROMPT_SPEC_PATH): LoadedPromptSpec {
  const text = readFileSync(path, 'utf8');
  const spec = PromptSpec.parse(JSON.parse(text));
  return { spec, text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Whitespace collapsed, the last `max_words` words kept; the spec's `empty` text when nothing was said. */
export function renderContext(spec: PromptSpec, contextText: string): string {
  const words = contextText.split(/\s+/u).filter((w) => w.length > 0);
  if (words.length === 0) return spec.context.empty;
  return words.slice(-spec.context.max_words).join(' ');
}

/** The system and user turns for a context: what SFT rows store as `prompt`. */
export function renderMessages(spec: PromptSpec, contextText: string): ChatMessageTurn[] {
  return [
    { role: 'system', content: spec.system },
    { role: 'user', content: spec.user_template.replace('{context}', () => renderContext(spec, contextText)) },
  ];
}

/**
 * ChatML text of a conversation, as SmolLM2's (and Qwen2's) chat template renders it; with
 * `addGenerationPrompt`, ends with the opened assistant turn the model completes.
 */
export function renderChatml(messages: readonly ChatMessageTurn[], addGenerationPrompt = true): string {
  let out = '';
  for (const m of messages) out += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
  if (addGenerationPrompt) out += '<|im_start|>assistant\n';
  return out;
}

/** The full prompt string the model sees for a context. */
export function renderPrompt(spec: PromptSpec, contextText: string): string {
  return renderChatml(renderMessages(spec, contextText));
}

/** Short hash of a rendered prompt, logged with each reply so a mismatch with training is visible. */
export function promptHash(prompt: string): string {
  return createHash('sha256').update(prompt).digest('hex').slice(0, 16);
}
