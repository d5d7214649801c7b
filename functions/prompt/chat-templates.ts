import { Template } from '@huggingface/jinja';
import type { ChatMessageTurn } from './prompt-spec.ts';

/**
 * The chat template families the server renders by hand, each byte-identical to the base tokenizer's own
 * template (what the trainer applies): ChatML (SmolLM2, Qwen2.5), Llama 3 (Meta-Llama-3-*-Instruct), Mistral
 * (Mistral-7B-Instruct-v0.3 and its `[INST]` kin) and Gemma (gemma-*-it). gpu-runner/tests/test_chat_templates.py
 * renders each against the original Jinja templates; the trainer refuses a base whose template is none of them
 * (dougpt_gpu/chat_templates.py) and records the family it trained with; the server renders an adapter's prompts
 * in that family and refuses one whose base GGUF's template is of another.
 */
export const CHAT_TEMPLATE_FAMILIES = ['chatml', 'llama3', 'mistral', 'gemma'] as const;
export type ChatTemplateFamily = (typeof CHAT_TEMPLATE_FAMILIES)[number];

/** A family with the tokenizer's begin- and end-of-sequence texts, which some families write into the prompt. */
export interface ChatTemplate {
  family: ChatTemplateFamily;
  bos: string;
  eos: string;
}

export const CHATML: ChatTemplate = { family: 'chatml', bos: '', eos: '' };

/** Python's str.strip() whitespace (Jinja's `trim`): what the Llama 3, Mistral and Gemma templates cut. */
const PY_SPACE = '\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const pyStrip = (text: string) => text.replace(new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu'), '');

/**
 * The turns as a family takes them: Gemma has no system role, so the system text opens the first user turn
 * (followed by a blank line); the others take the turns as they are (Mistral's template places the system text
 * itself).
 */
export function familyMessages(family: ChatTemplateFamily, messages: readonly ChatMessageTurn[]): ChatMessageTurn[] {
  if (family !== 'gemma' || messages[0]?.role !== 'system') return messages.map((m) => ({ ...m }));
  const [system, first, ...rest] = messages;
  if (first?.role !== 'user') throw new Error('gemma: a system turn must be followed by a user turn');
  return [{ role: 'user', content: `${system!.content}\n\n${first.content}` }, ...rest.map((m) => ({ ...m }))];
}

/**
 * Mistral-7B-Instruct-v0.3's template without tools: the system text joins the user turn only when that turn
 * is the conversation's last; user and assistant turns alternate; a reply is trimmed and ends with EOS; there
 * is no generation prompt (the prompt ends with `[/INST]`).
 */
function renderMistral(messages: readonly ChatMessageTurn[], bos: string, eos: string): string {
  const system = messages[0]?.role === 'system' ? messages[0].content : null;
  const turns = system === null ? messages : messages.slice(1);
  let out = bos;
  turns.forEach((m, i) => {
    if ((m.role === 'user') !== (i % 2 === 0)) throw new Error('mistral: conversation roles must alternate user/assistant');
    if (m.role === 'user') out += system !== null && i === turns.length - 1 ? `[INST] ${system}\n\n${m.content}[/INST]` : `[INST] ${m.content}[/INST]`;
    else out += ` ${pyStrip(m.content)}${eos}`;
  });
  return out;
}

/**
 * A conversation rendered as the family's template renders it; with `addGenerationPrompt`, ending in the opened
 * assistant turn. `bos`/`eos` are the tokenizer's texts, which Llama 3, Mistral and Gemma write.
 *
 * @example
 * renderChatTemplate('llama3', renderMessages(spec, 'hi chat'), true, '<|begin_of_text|>');
 */
export function renderChatTemplate(family: ChatTemplateFamily, messages: readonly ChatMessageTurn[], addGenerationPrompt = true, bos = '', eos = ''): string {
  const turns = familyMessages(family, messages);
  switch (family) {
    case 'chatml':
      return turns.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + (addGenerationPrompt ? '<|im_start|>assistant\n' : '');
    case 'llama3':
      return bos + turns.map((m) => `<|start_header_id|>${m.role}<|end_header_id|>\n\n${pyStrip(m.content)}<|eot_id|>`).join('') + (addGenerationPrompt ? '<|start_header_id|>assistant<|end_header_id|>\n\n' : '');
    case 'mistral':
      return renderMistral(turns, bos, eos);
    case 'gemma':
      return bos + turns.map((m) => `<start_of_turn>${m.role === 'assistant' ? 'model' : m.role}\n${pyStrip(m.content)}<end_of_turn>\n`).join('') + (addGenerationPrompt ? '<start_of_turn>model\n' : '');
  }
}

/** The prompt for the given turns in a template: the turns and the opened assistant turn. */
export function renderTemplatePrompt(template: ChatTemplate, messages: readonly ChatMessageTurn[]): string {
  return renderChatTemplate(template.family, messages, true, template.bos, template.eos);
}

const PROBE: ChatMessageTurn[] = [
  { role: 'system', content: 'SYSTEM TEXT' },
  { role: 'user', content: 'USER TEXT' },
];
const PROBES: [ChatMessageTurn[], boolean][] = [
  [PROBE, true],
  [PROBE, false],
  [[...PROBE, { role: 'assistant', content: 'REPLY' }], false],
];

/**
 * The family whose rendering a model's own Jinja chat template (a GGUF's `tokenizer.chat_template`, a
 * tokenizer's `chat_template`) reproduces on probe conversations, with and without the generation prompt and
 * with a reply; null when it is none of them. The same probes as the trainer's detect_family.
 */
export function detectChatTemplateFamily(jinja: string, bos: string, eos: string): ChatTemplateFamily | null {
  let template: Template;
  try {
    template = new Template(jinja);
  } catch {
    return null;
  }
  for (const family of CHAT_TEMPLATE_FAMILIES) {
    try {
      const same = PROBES.every(
        ([messages, gen]) =>
          template.render({ messages: familyMessages(family, messages), add_generation_prompt: gen, bos_token: bos, eos_token: eos }) ===
          renderChatTemplate(family, messages, gen, bos, eos),
      );
      if (same) return family;
    } catch {
      // A template that raises on these turns is not this family.
    }
  }
  return null;
}
