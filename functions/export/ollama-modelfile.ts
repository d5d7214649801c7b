import type { PromptSpec } from '../prompt/prompt-spec.ts';

/** Sampling an exported model is given by default: the reply server's defaults. */
export interface ExportSampling {
  temperature: number;
  top_p: number;
  /** The server's top-k (functions/prompt/sampling.json), so Ollama samples as `dougpt serve` does. */
  top_k?: number;
}

/** A prompt spec that cannot be written into a Modelfile, named in one line. */
export class ModelfileError extends Error {
  override name = 'ModelfileError';
}

/** Go template literal text: `{{` would open an action, so it is written as an action printing it. */
const goLiteral = (text: string): string => text.replaceAll('{{', '{{ "{{" }}');

/**
 * The Go template (Ollama's TEMPLATE) that renders a conversation exactly as `renderChatml` does,
 * with each user turn wrapped in the spec's `user_template` (so a client sends the streamer's words,
 * rendered as `renderContext` renders them, and the model sees the prompt it was trained on).
 * Ollama runs a template that names `.Messages` with `.System` (the system turns joined) and every
 * turn in `.Messages`, the system turn included; system turns are printed once, from `.System`.
 * Go's templates cannot collapse whitespace or cut words, so that part of `renderContext` is the
 * client's; an empty user turn becomes the spec's `context.empty`, as `renderContext` makes it.
 *
 * @example
 * ollamaTemplate(loadPromptSpec().spec) // '{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n…'
 */
export function ollamaTemplate(spec: PromptSpec): string {
  const at = spec.user_template.indexOf('{context}');
  const before = goLiteral(spec.user_template.slice(0, at));
  const after = goLiteral(spec.user_template.slice(at + '{context}'.length));
  return [
    '{{- if .System }}<|im_start|>system',
    '{{ .System }}<|im_end|>',
    '{{ end }}',
    '{{- range .Messages }}',
    '{{- if eq .Role "user" }}<|im_start|>user',
    `${before}{{ if .Content }}{{ .Content }}{{ else }}${goLiteral(spec.context.empty)}{{ end }}${after}<|im_end|>`,
    '{{ else if eq .Role "assistant" }}<|im_start|>assistant',
    '{{ .Content }}<|im_end|>',
    '{{ end }}',
    '{{- end }}<|im_start|>assistant',
    '',
  ].join('\n');
}

/** A Modelfile string value in triple quotes, kept verbatim by Ollama's parser. */
function tripleQuoted(what: string, text: string): string {
  if (text.includes('"""')) throw new ModelfileError(`${what}: contains """, which a Modelfile cannot quote`);
  return `"""${text}"""`;
}

/** A one-line Modelfile value in double quotes. */
function quoted(what: string, text: string): string {
  if (/["\n\\]/.test(text)) throw new ModelfileError(`${what}: ${JSON.stringify(text)} holds a quote, backslash or line break`);
  return `"${text}"`;
}

/** A file path as Modelfiles write them: bare, so it must hold no space, quote or backslash. */
function path(what: string, text: string): string {
  if (!/^[\w./+-]+$/.test(text)) throw new ModelfileError(`${what}: ${JSON.stringify(text)} is not a plain relative path`);
  return text;
}

export interface ModelfileInput {
  spec: PromptSpec;
  /** Path of the model GGUF, relative to the Modelfile's folder (`./…`). */
  from: string;
  /** Path of the GGUF LoRA, relative to the Modelfile's folder; null for a merged model. */
  adapter: string | null;
  /** Ends generation: the ChatML end of turn. */
  stop: string;
  sampling: ExportSampling;
}

/**
 * An Ollama Modelfile for a base GGUF plus a GGUF LoRA (or a merged GGUF): FROM, ADAPTER, the
 * prompt spec's system text and chat template, the end-of-turn stop and the reply limits.
 *
 * @example
 * renderModelfile({ spec, from: './base.gguf', adapter: './lora.gguf', stop: '<|im_end|>', sampling: { temperature: 0.8, top_p: 0.95 } })
 */
export function renderModelfile(input: ModelfileInput): string {
  const { spec } = input;
  const lines = [
    `# DougPT chat model: prompt spec ${spec.version}. Build with: ollama create <name> -f Modelfile`,
    `FROM ${path('FROM', input.from)}`,
    ...(input.adapter === null ? [] : [`ADAPTER ${path('ADAPTER', input.adapter)}`]),
    `TEMPLATE ${tripleQuoted('the chat template', ollamaTemplate(spec))}`,
    `SYSTEM ${tripleQuoted('the prompt spec\'s system text', spec.system)}`,
    `PARAMETER stop ${quoted('stop', input.stop)}`,
    `PARAMETER temperature ${input.sampling.temperature}`,
    `PARAMETER top_p ${input.sampling.top_p}`,
    ...(input.sampling.top_k === undefined ? [] : [`PARAMETER top_k ${input.sampling.top_k}`]),
    `PARAMETER num_predict ${spec.reply.max_tokens}`,
    '',
  ];
  return lines.join('\n');
}

