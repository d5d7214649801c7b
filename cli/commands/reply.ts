import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { stateDir } from '../../infra/paths.ts';
import { AdapterError } from '../../functions/reply/adapter-source.ts';
import { OPTIONAL_GUARDRAILS, openReplyStack, ReplySetupError, type OptionalGuardrail, type ReplyStack, type ReplyStackOptions } from '../../functions/reply/open-reply-stack.ts';
import { MAX_CONTEXT_CHARS, MAX_N, MAX_REPLY_TOKENS } from '../../functions/reply/reply-schemas.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';

/** Flags shared by `reply`, `serve` and `mcp`: where the model comes from and the guardrails. */
export interface ModelFlags {
  adapter?: string;
  banned?: string;
  viewers?: string;
  disable?: string;
  maxRegenerations: string;
  threads?: string;
  memory?: string;
}

export function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${name}: not a whole number in ${min}..${max}: ${value}`, 2);
  return n;
}

export function numberFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UserError(`${name}: not a number in ${min}..${max}: ${value}`, 2);
  return n;
}

export function addModelOptions(command: Command): Command {
  return command
    .option('--adapter <dir>', 'a training run folder (OUT of `dougpt train`) or GGUF LoRA (default: the promoted adapter, else the base model)')
    .option('--banned <file>', 'banned phrases, one a line (case-insensitive, whole words): a reply with one is sampled again, then dropped (default: the list the evaluation gates on, gpu-runner/src/dougpt_gpu/evaluate/banned_phrases.txt)')
    .option('--viewers <file>', "viewer logins to scrub from replies: one a line, or a dataset's viewers.json")
    .option('--disable <guardrails>', `comma-separated guardrails to switch off: ${OPTIONAL_GUARDRAILS.join(', ')}`)
    .option('--max-regenerations <k>', 'samples drawn again for a rejected reply before it is dropped', '3')
    .option('--threads <n>', 'CPU threads for the model (default 1; concurrent replies are batched instead)')
    .option('--memory <file>', "voice memory index (a dataset's memory.json): recalled moments go into each prompt (docs/memory.md)");
}

/** The reply stack for the model flags; bad flags become one-line UserErrors. */
export async function openStackFromFlags(flags: ModelFlags, extra: Partial<ReplyStackOptions> = {}): Promise<ReplyStack> {
  const disable = (flags.disable ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const name of disable) {
    if (!(OPTIONAL_GUARDRAILS as readonly string[]).includes(name)) throw new UserError(`--disable: ${name} is not one of ${OPTIONAL_GUARDRAILS.join(', ')}`, 2);
  }
  // With the local stack up, the adapter is the one the `adapters` workflow promoted (fetched from the
  // lake); without it, the promoted.json of file mode.
  let adapterSource = extra.adapterSource;
  if (!flags.adapter && !adapterSource && process.env.DOUGPT_REGISTRY !== 'off') {
    const [{ loadConfig }, { registrySourceIfRunning }] = await Promise.all([import('../../infra/config.ts'), import('../../infra/registry-adapter-source.ts')]);
    adapterSource = (await registrySourceIfRunning(loadConfig())) ?? undefined;
  }
  try {
    return await openReplyStack({
      home: stateDir(),
      adapter: flags.adapter,
      ...(adapterSource ? { adapterSource } : {}),
      banned: flags.banned,
      viewers: flags.viewers,
      disable: disable as OptionalGuardrail[],
      maxRegenerations: intFlag('--max-regenerations', flags.maxRegenerations, 0, 20),
      threads: flags.threads === undefined ? undefined : intFlag('--threads', flags.threads, 1, 256),
      ...(flags.memory ? { memory: flags.memory } : {}),
      ...extra,
    });
  } catch (error) {
    if (error instanceof ReplySetupError || error instanceof AdapterError) throw new UserError(error.message, 2);
    throw error;
  }
}

interface ReplyFlags extends ModelFlags {
  n: string;
  seed?: string;
  temperature?: string;
  maxTokens?: string;
  json?: boolean;
}

/** `dougpt reply "<streamer context>"`: chat replies from the promoted (or given) adapter. */
export function registerReplyCommand(program: Command): void {
  addModelOptions(
    program
      .command('reply')
      .description("chat replies to what the streamer said, from the promoted adapter (or --adapter, else the base model), through the guardrails")
      .argument('[context]', "the streamer's words the chat reacts to (or --audio)")
      .option('--audio <clip>', 'a clip of the streamer instead: transcribed as `dougpt transcribe` does (Whisper tiny.en on a CPU), its last 30 s of words are the context')
      .option('--n <n>', 'replies to sample', '5')
      .option('--seed <n>', 'fixes the replies: the same seed and context give the same replies')
      .option('--temperature <t>', 'sampling temperature (0: greedy)')
      .option('--max-tokens <n>', "tokens per reply (default: the prompt spec's reply.max_tokens)"),
  )
    .option('--json', 'print {replies, guardrail_actions, adapter, prompt_spec, latency_ms}')
    .action(async (given: string | undefined, flags: ReplyFlags & { audio?: string }) => {
      if ((given === undefined) === (flags.audio === undefined)) throw new UserError('give the streamer\'s words or --audio <clip>, one of the two', 2);
      let context = given ?? '';
      if (flags.audio) {
        const { contextFromAudio } = await import('../../functions/reply/context-from-audio.ts');
        const { RunnerError } = await import('../../gpu-runner/worker/runner-error.ts');
        try {
          context = await contextFromAudio(flags.audio);
        } catch (error) {
          if (error instanceof RunnerError && error.kind === 'bad-input') throw new UserError(`--audio ${error.message.replace(/^transcribe: /, '')}`, 2);
          throw error;
        }
        if (!flags.json) process.stderr.write(`reply: heard “${context}”\n`);
      }
      if (context.length > MAX_CONTEXT_CHARS) throw new UserError(`<context>: over ${MAX_CONTEXT_CHARS} characters`, 2);
      const n = intFlag('--n', flags.n, 1, MAX_N);
      const seed = flags.seed === undefined ? undefined : intFlag('--seed', flags.seed, 0, 2 ** 32 - 1);
      const temperature = flags.temperature === undefined ? undefined : numberFlag('--temperature', flags.temperature, 0, 2);
      const maxTokens = flags.maxTokens === undefined ? undefined : intFlag('--max-tokens', flags.maxTokens, 1, MAX_REPLY_TOKENS);
      const stack = await openStackFromFlags(flags, { notice: (line) => process.stderr.write(`reply: ${line}\n`) });
      try {
        const outcome = await stack.service.reply({ context, n, seed, temperature, max_tokens: maxTokens, stop: [], endpoint: 'cli', client: userInfo().username });
        if (flags.json) {
          printJson({ replies: outcome.replies, guardrail_actions: outcome.guardrail_actions, adapter: outcome.adapter, prompt_spec: outcome.prompt_spec, latency_ms: Math.round(outcome.latency_ms) });
          return;
        }
        for (const text of outcome.replies) process.stdout.write(`${text.replace(/\s*\n\s*/g, ' ')}\n`);
        const dropped = outcome.choices.filter((c) => c.text === null).length;
        const acted = outcome.guardrail_actions.length;
        if (acted > 0) {
          const kinds = [...new Set(outcome.guardrail_actions.map((a) => `${a.guardrail} ${a.action}`))].join(', ');
          process.stderr.write(`reply: guardrails acted ${acted} time(s) (${kinds})${dropped ? `; ${dropped} repl${dropped === 1 ? 'y' : 'ies'} dropped` : ''}\n`);
        }
      } finally {
        await stack.close();
      }
    });
}
