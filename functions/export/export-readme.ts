import { renderPrompt, type PromptSpec } from '../prompt/prompt-spec.ts';
import type { ExportRunOutput } from './export-run.ts';
import type { ExportSampling } from './ollama-modelfile.ts';

/** The context of `example-prompt.txt` in an export. */
export const EXAMPLE_CONTEXT = 'okay chat we are going left';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * The README.md of an export folder: what is in it, how each runtime loads it, the exact prompt
 * format and what the DougPT server does that a plain runtime does not (guardrails).
 *
 * @example
 * exportReadme(result, { spec, stop: '<|im_end|>', sampling: { temperature: 0.8, top_p: 0.95 } })
 */
export function exportReadme(result: ExportRunOutput, options: { spec: PromptSpec; stop: string; sampling: ExportSampling }): string {
  const { spec, stop, sampling } = options;
  const name = `dougpt-${result.run_id}`.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  const loraFlag = result.adapter ? ` --lora ${result.adapter}` : '';
  const example = renderPrompt(spec, EXAMPLE_CONTEXT);
  const lines = [
    `# DougPT chat model — run ${result.run_id}`,
    '',
    `A LoRA fine-tune of \`${result.base.name}\` that answers a streamer's words the way Twitch chat does,`,
    `exported by \`dougpt export --format ${result.format}${result.merged ? ' --merge' : ''}\`. Prompt spec ${result.prompt_spec.version} (sha256 ${result.prompt_spec.sha256}).`,
    '',
    '| file | bytes | sha256 |',
    '| --- | --- | --- |',
    ...result.files.map((f) => `| \`${f.name}\` | ${f.bytes} (${mib(f.bytes)}) | \`${f.sha256}\` |`),
    '',
    result.merged
      ? `\`${result.model}\` is the base with the LoRA folded in (W + (alpha/r)·B·A; adapted weights Q8_0, the rest as in the base): no runtime adapter.`
      : `\`${result.model}\` is the unchanged base model (sha256 as trained); \`${result.adapter}\` is the LoRA, applied at load time.`,
    '',
    '## Run it',
    '',
    '```sh',
    ...(result.format === 'ollama' ? ['# Ollama (the Modelfile holds the chat template, system text, stop token and limits)', `ollama create ${name} -f Modelfile`, `ollama run ${name} "${EXAMPLE_CONTEXT}"`, ''] : []),
    '# llama.cpp',
    `llama-cli -m ${result.model}${loraFlag} -no-cnv -n ${spec.reply.max_tokens} --temp ${sampling.temperature} --top-p ${sampling.top_p} -r '${stop}' -f example-prompt.txt`,
    `llama-server -m ${result.model}${loraFlag}   # then POST /completion with the rendered prompt`,
    '```',
    '',
    'node-llama-cpp (what `dougpt serve` uses):',
    '',
    '```js',
    "import { getLlama } from 'node-llama-cpp';",
    'const llama = await getLlama();',
    `const model = await llama.loadModel({ modelPath: '${result.model}' });`,
    `const context = await model.createContext(${result.adapter ? `{ lora: { adapters: [{ filePath: '${result.adapter}' }] } }` : ''});`,
    '```',
    '',
    '## Prompt format',
    '',
    'ChatML, exactly as in training (`prompt_spec.json` here is the spec, byte for byte; `example-prompt.txt` is this example):',
    '',
    '```',
    example,
    '```',
    '',
    `The user turn is \`${spec.user_template}\`, where the context is the streamer's last words: whitespace collapsed to single spaces,`,
    `the last ${spec.context.max_words} words kept, \`${spec.context.empty}\` when nothing was said. Ollama's template adds the wrapper and the`,
    `empty text itself; collapsing and cutting words is the client's part. Generation stops at \`${stop}\`; replies are`,
    `at most ${spec.reply.max_tokens} tokens; sampling defaults: temperature ${sampling.temperature}, top_p ${sampling.top_p}.`,
    '',
    '## Not included',
    '',
    `\`dougpt serve\` puts guardrails in front of this model — a toxicity filter, banned phrases, viewer-name scrubbing, a`,
    `${spec.reply.max_chars}-character cap, no repeats of recent replies, rate limits — and logs every reply. A runtime loading these`,
    'files directly has none of that.',
    '',
  ];
  return lines.join('\n');
}
