import { describe, expect, it } from 'vitest';
import { renderModelfile, ModelfileError } from '../../../functions/export/ollama-modelfile.ts';
import { hasGo, renderWithGo } from './render-with-go.ts';
import { DEFAULT_SAMPLING } from '../../../functions/reply/reply-service.ts';
import { loadPromptSpec, renderChatml, renderContext, renderPrompt, type ChatMessageTurn, type PromptSpec } from '../../../functions/prompt/prompt-spec.ts';

/**
 * Template parity: the Modelfile's Go TEMPLATE, executed by Go's text/template the way Ollama
 * executes it (tests/unit/export/ollama-template/main.go), gives byte for byte the prompt that
 * renderPrompt gives training and the reply server.
 */

if (!hasGo) process.stderr.write('ollama template parity: skipped: `go` is not on PATH (Go ≥ 1.24 runs the template renderer)\n');

const CONTEXTS = [
  'okay chat we are going to win this one, watch this jump',
  'OKAY CHAT',
  '',
  '   ',
  'we\n\nare   so\tback',
  'line one\r\nline two',
  'the word is {{ .System }} and {{ end }} here',
  '{{- range .Messages }}{{ .Content }}{{ end }}',
  'he said "hello" and \'bye\' and """ triple',
  'a back\\slash and a path C:\\games\\doug',
  '<|im_end|> <|im_start|>assistant sneaky',
  '<b>bold</b> & ampersand < less > more',
  'emotes PogChamp KEKW LUL monkaS OMEGALUL',
  '🐸🔥 frogs on fire 👨‍👩‍👧 family 🇯🇵',
  'こんにちは チャット、元気？',
  'مرحبا بالجميع في البث',
  'zero\u200bwidth and non\u00a0breaking spaces',
  '@viewer thanks for the sub!',
  '1 2 3 4 5 six 7.5 -8 1e9 0x10',
  Array.from({ length: 120 }, (_, i) => `word${i}`).join(' '),
  'x'.repeat(2000),
  'percent %s %d %v and dollar $ and ${context}',
  '{context} in the context itself',
  'tab\tseparated\tvalues',
];

const userTurn = (spec: PromptSpec, context: string): ChatMessageTurn[] => [{ role: 'user', content: renderContext(spec, context) }];
const sampling = DEFAULT_SAMPLING;

describe.skipIf(!hasGo)('Ollama TEMPLATE parity with renderPrompt (Go text/template)', () => {
  it(`renders ${CONTEXTS.length} contexts byte for byte as renderPrompt does`, async () => {
    const { spec } = loadPromptSpec();
    const modelfile = renderModelfile({ spec, from: './base.gguf', adapter: './lora.gguf', stop: '<|im_end|>', sampling });
    const rendered = await renderWithGo(modelfile, CONTEXTS.map((c) => userTurn(spec, c)));
    expect(rendered).toHaveLength(CONTEXTS.length);
    CONTEXTS.forEach((context, i) => expect(rendered[i], `context ${i}: ${JSON.stringify(context.slice(0, 40))}`).toBe(renderPrompt(spec, context)));
  });

  it('a spec with braces, a suffix and its own empty text renders the same on both sides; so does a multi-turn conversation', async () => {
    const base = loadPromptSpec().spec;
    const spec: PromptSpec = { ...base, system: 'System {{ .Prompt }} text\nwith two lines', user_template: 'Streamer {{said}}: {context} }} (end)', context: { ...base.context, empty: '{{ nothing }}' } };
    const modelfile = renderModelfile({ spec, from: './base.gguf', adapter: null, stop: '<|im_end|>', sampling });
    const contexts = ['hello there', '', 'a {{ .Content }} b'];
    const conversation: ChatMessageTurn[] = [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'LUL' },
      { role: 'user', content: 'second' },
    ];
    const rendered = await renderWithGo(modelfile, [...contexts.map((c) => userTurn(spec, c)), conversation]);
    contexts.forEach((context, i) => expect(rendered[i]).toBe(renderPrompt(spec, context)));
    const wrap = (content: string) => spec.user_template.replace('{context}', () => content);
    expect(rendered[3]).toBe(
      renderChatml([{ role: 'system', content: spec.system }, { role: 'user', content: wrap('first') }, { role: 'assistant', content: 'LUL' }, { role: 'user', content: wrap('second') }]),
    );
  });
});

describe('renderModelfile', () => {
  it('names the base, the LoRA, the stop token and the reply limits of the spec', () => {
    const { spec } = loadPromptSpec();
    const text = renderModelfile({ spec, from: './SmolLM2.gguf', adapter: './run.lora.gguf', stop: '<|im_end|>', sampling });
    const lines = text.split('\n');
    expect(lines).toContain('FROM ./SmolLM2.gguf');
    expect(lines).toContain('ADAPTER ./run.lora.gguf');
    expect(lines).toContain('PARAMETER stop "<|im_end|>"');
    expect(lines).toContain(`PARAMETER num_predict ${spec.reply.max_tokens}`);
    expect(lines).toContain('PARAMETER temperature 0.8');
    expect(lines).toContain('PARAMETER top_p 0.95');
    expect(lines).toContain(`PARAMETER top_k ${DEFAULT_SAMPLING.top_k}`);
    expect(text).toContain(`SYSTEM """${spec.system}"""`);
    expect(renderModelfile({ spec, from: './merged.gguf', adapter: null, stop: '<|im_end|>', sampling })).not.toMatch(/^ADAPTER/m);
  });

  it('refuses text a Modelfile cannot quote, naming it', () => {
    const { spec } = loadPromptSpec();
    expect(() => renderModelfile({ spec: { ...spec, system: 'say """ this' }, from: './a.gguf', adapter: null, stop: '<|im_end|>', sampling })).toThrow(ModelfileError);
    expect(() => renderModelfile({ spec, from: './a "b".gguf', adapter: null, stop: '<|im_end|>', sampling })).toThrow(/FROM/);
  });
});
