import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAT_TEMPLATE_FAMILIES, CHATML, detectChatTemplateFamily, renderTemplatePrompt, type ChatTemplate } from '../../../functions/prompt/chat-templates.ts';
import { loadPromptSpec, renderMessages, renderPrompt } from '../../../functions/prompt/prompt-spec.ts';
import { checkAdapterTemplate } from '../../../functions/reply/adapter-checks.ts';
import { AdapterError, resolveAdapter } from '../../../functions/reply/adapter-source.ts';
import { memoryLogSink } from '../../../functions/reply/inference-log.ts';
import { baseChatTemplate, ChatTemplateError } from '../../../functions/reply/llama-model.ts';
import { promptPrefixOf } from '../../../functions/reply/open-reply-stack.ts';
import { createParityCheck } from '../../../functions/reply/prompt-parity.ts';
import { createReplyService } from '../../../functions/reply/reply-service.ts';
import { ReplyMetrics } from '../../../functions/reply/reply-metrics.ts';
import { SMOLLM2_TEMPLATE, stubEngine } from '../reply/stub-engine.ts';

const spec = loadPromptSpec();
const TEMPLATES: Record<string, ChatTemplate> = {
  chatml: CHATML,
  llama3: { family: 'llama3', bos: '<|begin_of_text|>', eos: '<|eot_id|>' },
  mistral: { family: 'mistral', bos: '<s>', eos: '</s>' },
  gemma: { family: 'gemma', bos: '<bos>', eos: '<eos>' },
};
/** A Mistral-style Jinja template as a GGUF carries it (the byte-level parity with the originals is gpu-runner/tests/test_chat_templates.py). */
const MISTRAL_JINJA =
  '{%- if messages[0]["role"] == "system" %}{%- set system_message = messages[0]["content"] %}{%- set loop_messages = messages[1:] %}{%- else %}{%- set loop_messages = messages %}{%- endif %}' +
  '{{- bos_token }}{%- for message in loop_messages %}{%- if message["role"] == "user" %}{%- if loop.last and system_message is defined %}{{- "[INST] " + system_message + "\\n\\n" + message["content"] + "[/INST]" }}' +
  '{%- else %}{{- "[INST] " + message["content"] + "[/INST]" }}{%- endif %}{%- elif message["role"] == "assistant" %}{{- " " + message["content"]|trim + eos_token}}{%- endif %}{%- endfor %}';

describe('chat template families on the serving side', () => {
  it("knows a GGUF's family from its own template and refuses one of no known family", () => {
    expect(detectChatTemplateFamily(SMOLLM2_TEMPLATE, '<|im_start|>', '<|im_end|>')).toBe('chatml');
    expect(detectChatTemplateFamily(MISTRAL_JINJA, '<s>', '</s>')).toBe('mistral');
    expect(detectChatTemplateFamily('{% for m in messages %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}', '<s>', '</s>')).toBeNull();
    expect(detectChatTemplateFamily('{% if %}', '', '')).toBeNull();
    const base = { name: 'phi-3', gguf: '/phi.gguf' };
    expect(() => baseChatTemplate(base, { chatTemplate: '{{ messages[0].content }}', bos: '<s>', eos: '</s>' }, 'chatml')).toThrow(ChatTemplateError);
    expect(() => baseChatTemplate(base, { chatTemplate: '{{ messages[0].content }}', bos: '<s>', eos: '</s>' }, 'chatml')).toThrow(/phi-3 .*none of the families the server renders/);
    // A GGUF with no template is rendered in the prompt spec's family.
    expect(baseChatTemplate(base, { chatTemplate: null, bos: '', eos: '' }, spec.spec.chat_template).family).toBe('chatml');
    expect(baseChatTemplate(base, { chatTemplate: MISTRAL_JINJA, bos: '<s>', eos: '</s>' }, 'chatml')).toEqual(TEMPLATES.mistral);
  });

  it.each(CHAT_TEMPLATE_FAMILIES)('%s: the kept prompt prefix is where every prompt starts, the system text in it', (family) => {
    const template = TEMPLATES[family]!;
    const prefix = promptPrefixOf(spec.spec.system)(template);
    for (const context of ['okay chat we are going left', '', '  spaced   out  ']) {
      const prompt = renderPrompt(spec.spec, context, [], template);
      expect(prompt.startsWith(prefix)).toBe(true);
      expect(prompt.length).toBeGreaterThan(prefix.length);
    }
    expect(prefix).toContain(spec.spec.system);
  });

  it('renders the prompts of a Mistral base in its template, and the parity check agrees through the GGUF template', async () => {
    const engine = { ...stubEngine(() => 'LUL'), chatTemplate: MISTRAL_JINJA, template: TEMPLATES.mistral! };
    const service = createReplyService({ engine, spec, guardrails: { toxicity: null, banned: null, scrubViewerNames: null, maxChars: null, recent: null, maxRegenerations: 0 }, log: memoryLogSink(), metrics: new ReplyMetrics() });
    await service.reply({ context: 'we  are so back', n: 1, stop: [], endpoint: 'cli' });
    const prompt = engine.requests[0]!.prompt;
    expect(prompt).toBe(`<s>[INST] ${spec.spec.system}\n\nStreamer: we are so back[/INST]`);
    expect(prompt).toBe(renderTemplatePrompt(TEMPLATES.mistral!, renderMessages(spec.spec, 'we are so back')));
    const parity = createParityCheck({ spec, trainedSpec: () => null, chatTemplate: MISTRAL_JINJA, template: TEMPLATES.mistral, sampleRate: 1 });
    expect(await parity.check('we  are so back', prompt)).toEqual({ match: true });
    expect((await parity.check('we  are so back', renderPrompt(spec.spec, 'we are so back'))).match).toBe(false);
  });

  it('serves an adapter only on a base of the family it was trained in (run.json chat_template)', () => {
    const root = mkdtempSync(join(tmpdir(), 'dougpt-template-'));
    const folder = (runId: string, chatTemplate?: string) => {
      const dir = join(root, runId);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'adapter.gguf'), 'GGUF');
      writeFileSync(join(dir, 'run.json'), JSON.stringify({ run_id: runId, base: { name: 'b' }, ...(chatTemplate ? { chat_template: chatTemplate } : {}) }));
      return dir;
    };
    const llama = resolveAdapter(folder('llama-run', 'llama3'));
    expect(llama.chat_template).toBe('llama3');
    expect(() => checkAdapterTemplate(llama, TEMPLATES.llama3!)).not.toThrow();
    expect(() => checkAdapterTemplate(llama, CHATML)).toThrow(AdapterError);
    expect(() => checkAdapterTemplate(llama, CHATML)).toThrow(/trained in chat template llama3, but the server's base renders chat template chatml/);
    // A run from before families were recorded was trained in ChatML.
    const older = resolveAdapter(folder('older-run'));
    expect(() => checkAdapterTemplate(older, CHATML)).not.toThrow();
    expect(() => checkAdapterTemplate(older, TEMPLATES.gemma!)).toThrow(/trained in chat template chatml/);
    expect(() => checkAdapterTemplate(null, TEMPLATES.gemma!)).not.toThrow();
  });
});
