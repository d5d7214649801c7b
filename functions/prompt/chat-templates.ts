import type { ChatMessageTurn } from './prompt-spec.ts';

/**
 * The chat template families the server renders by hand, each byte-identical to the base tokenizer's own
 * template (what the trainer applies): ChatML (SmolLM2, Qwen2.5), Llama 3 (Meta-Llama-3-*-Instruct) and Gemma
 * (gemma-*-it). gpu-runner/tests/test_chat_templates.py renders each against the original Jinja templates; the
 * trainer refuses a base whose template is none of them (dougpt_gpu/chat_templates.py).
 */
export const CHAT_TEMPLATE_FAMILIES = ['chatml', 'llama3', 'gemma'] as const;
export type ChatTemplateFamily = (typeof CHAT_TEMPLATE_FAMILIES)[number];

/** Python's str.strip() whitespace (Jinja's `trim`): what the Llama 3 and Gemma templates cut from each turn. */
const PY_SPACE = '\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const pyStrip = (text: string) => text.replace(new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu'), '');

/**
 * The turns as a family takes them: Gemma has no system role, so the system text opens the first user turn
 * (followed by a blank line); the others take the turns as they are.
 */
export function familyMessages(family: ChatTemplateFamily, messages: readonly ChatMessageTurn[]): ChatMessageTurn[] {
  if (family !== 'gemma' || messages[0]?.role !== 'system') return messages.map((m) => ({ ...m }));
  const [system, first, ...rest] = messages;
  if (first?.role !== 'user') throw new Error('gemma: a system turn must be followed by a user turn');
  return [{ role: 'user', content: `${system!.content}\n\n${first.content}` }, ...rest.map((m) => ({ ...m }))];
}

/**
 * A conversation rendered as the family's template renders it; with `addGenerationPrompt`, ending in the opened
 * assistant turn. `bos` is the tokenizer's begin-of-sequence text, which Llama 3 and Gemma put first.
 *
 * @example
 * renderChatTemplate('llama3', renderMessages(spec, 'hi chat'), true, '<|begin_of_text|>');
 */
export function renderChatTemplate(family: ChatTemplateFamily, messages: readonly ChatMessageTurn[], addGenerationPrompt = true, bos = ''): string {
  const turns = familyMessages(family, messages);
  switch (family) {
    case 'chatml':
      return turns.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + (addGenerationPrompt ? '<|im_start|>assistant\n' : '');
    case 'llama3':
      return bos + turns.map((m) => `<|start_header_id|>${m.role}<|end_header_id|>\n\n${pyStrip(m.content)}<|eot_id|>`).join('') + (addGenerationPrompt ? '<|start_header_id|>assistant<|end_header_id|>\n\n' : '');
    case 'gemma':
      return bos + turns.map((m) => `<start_of_turn>${m.role === 'assistant' ? 'model' : m.role}\n${pyStrip(m.content)}<end_of_turn>\n`).join('') + (addGenerationPrompt ? '<start_of_turn>model\n' : '');
  }
}
