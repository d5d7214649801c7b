import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CHAT_TEMPLATE_FAMILIES, CHATML, renderTemplatePrompt, type ChatTemplate } from './chat-templates.ts';

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
  /**
   * The voice memory block (since dougpt-chat/2): retrieved past moments put before the streamer's line, best
   * first. Each is `item` with `{context}` (its last `max_context_words` words) and `{reply}`; items are joined
   * by `separator` and the block ends with `after`. The words of the items and of the rendered context stay
   * within `budget_words`: memory is cut first (the least similar items go), the context never.
   */
  memory: z
    .object({
      item: z.string().includes('{context}').includes('{reply}'),
      separator: z.string(),
      after: z.string(),
      max_items: z.number().int().nonnegative(),
      max_context_words: z.number().int().positive(),
      budget_words: z.number().int().positive(),
    })
    .optional(),
  /** Replaces viewer names inside prompts and replies. */
  viewer_placeholder: z.string().min(1),
  /** The streamer's own names (lower case): never scrubbed as viewer names. */
  streamer_names: z.array(z.string()),
  /**
   * The chat template family of the project's default base (the embedded SmolLM2: ChatML), used for a base whose
   * GGUF carries no template. A base with a template is rendered in the family that template is
   * (functions/prompt/chat-templates.ts), and a training run records the family it trained with.
   */
  chat_template: z.enum(CHAT_TEMPLATE_FAMILIES),
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

/** A past moment recalled into the prompt: what the streamer said then, and what chat replied. */
export interface PromptMemory {
  context: string;
  reply: string;
}

const words = (text: string): string[] => text.split(/\s+/u).filter((w) => w.length > 0);

/** Whitespace collapsed, the last `max_words` words kept; the spec's `empty` text when nothing was said. */
export function renderContext(spec: PromptSpec, contextText: string): string {
  const kept = words(contextText);
  if (kept.length === 0) return spec.context.empty;
  return kept.slice(-spec.context.max_words).join(' ');
}

/**
 * The memory block put before the streamer's line ('' when there is none): the spec's `memory.item` per
 * recalled moment, best first, at most `max_items`, each moment's context cut to its last
 * `max_context_words` words; items stop where their words and the rendered context's would pass
 * `budget_words` (memory is trimmed first, the context never). A moment with an empty reply is skipped.
 */
export function renderMemory(spec: PromptSpec, memories: readonly PromptMemory[], renderedContext: string): string {
  if (memories.length === 0) return '';
  const m = spec.memory;
  if (!m) throw new Error(`prompt spec ${spec.version} has no memory block: it cannot render recalled moments`);
  const budget = m.budget_words - words(renderedContext).length;
  const lines: string[] = [];
  let used = 0;
  for (const memory of memories.slice(0, m.max_items)) {
    const reply = words(memory.reply).join(' ');
    if (reply === '') continue;
    const said = words(memory.context).slice(-m.max_context_words).join(' ') || spec.context.empty;
    // One pass over the template: a `{reply}` inside the recalled context stays text.
    const line = m.item.replace(/\{(context|reply)\}/g, (_, key: string) => (key === 'context' ? said : reply));
    const cost = words(line).length;
    if (used + cost > budget) break;
    lines.push(line);
    used += cost;
  }
  return lines.length === 0 ? '' : lines.join(m.separator) + m.after;
}

/**
 * The system and user turns for a context: what SFT rows store as `prompt`. With `memories` (recalled by
 * functions/memory), the memory block comes first in the user turn; without, the turn is dougpt-chat/1's.
 */
export function renderMessages(spec: PromptSpec, contextText: string, memories: readonly PromptMemory[] = []): ChatMessageTurn[] {
  const context = renderContext(spec, contextText);
  return [
    { role: 'system', content: spec.system },
    { role: 'user', content: renderMemory(spec, memories, context) + spec.user_template.replace('{context}', () => context) },
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

/**
 * The full prompt string the model sees for a context (and its recalled moments), in the base's chat template
 * (ChatML, the embedded base's, by default).
 */
export function renderPrompt(spec: PromptSpec, contextText: string, memories: readonly PromptMemory[] = [], template: ChatTemplate = CHATML): string {
  return renderTemplatePrompt(template, renderMessages(spec, contextText, memories));
}

/** Short hash of a rendered prompt, logged with each reply so a mismatch with training is visible. */
export function promptHash(prompt: string): string {
  return createHash('sha256').update(prompt).digest('hex').slice(0, 16);
}
