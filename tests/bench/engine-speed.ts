/**
 * The reply engine's library (node-llama-cpp, as `dougpt serve` loads it) measured the way llama.cpp's
 * `llama-bench` measures: a `--prompt`-token prompt evaluated in one batch (pp), then `--gen` tokens generated one
 * at a time (tg), tokens per second of wall time, mean ± sd over `--reps` runs after one warm-up, per thread count.
 * tests/bench/llama-bench.sh runs it right after llama-bench on the same model, so the two tables sit side by side.
 *
 *   npx tsx tests/bench/engine-speed.ts [--threads 1,2] [--prompt 64] [--gen 32] [--reps 5] [--model FILE.gguf]
 */
import { parseArgs } from 'node:util';
import { resolveBaseModel } from '../../functions/reply/base-model.ts';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    prompt: { type: 'string', default: '64' },
    gen: { type: 'string', default: '32' },
    reps: { type: 'string', default: '5' },
    model: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('npx tsx tests/bench/engine-speed.ts [--threads 1,2] [--prompt 64] [--gen 32] [--reps 5] [--model FILE.gguf]\n');
  process.exit(0);
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
};

async function main() {
  const gguf = values.model ?? (await resolveBaseModel())?.gguf;
  if (!gguf) throw new Error('no base model GGUF: run `make setup`');
  const promptTokens = Number(values.prompt);
  const genTokens = Number(values.gen);
  const reps = Number(values.reps);
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  process.stdout.write(`model: ${gguf}\n| engine | threads | test | t/s |\n| --- | ---: | ---: | ---: |\n`);
  for (const threads of values.threads.split(',').map(Number)) {
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: threads, progressLogs: false });
    const model = await llama.loadModel({ modelPath: gguf });
    const context = await model.createContext({ contextSize: 512, sequences: 1, threads, batchSize: 512 });
    const sequence = context.getSequence();
    // Ordinary vocabulary tokens, as llama-bench feeds random ones: a fixed text repeated to the length.
    const words = model.tokenize('chat is this real the penguin jumped into the lava and we all saw it happen', false);
    const prompt = Array.from({ length: promptTokens }, (_, i) => words[i % words.length]!);
    const pp: number[] = [];
    const tg: number[] = [];
    for (let rep = 0; rep <= reps; rep++) {
      await sequence.clearHistory();
      let started = performance.now();
      await sequence.evaluateWithoutGeneratingNewTokens(prompt);
      const ppMs = performance.now() - started;
      await sequence.clearHistory();
      started = performance.now();
      let n = 0;
      // Greedy on a one-token prompt; generation goes on past end-of-sequence as llama-bench's does.
      for await (const _ of sequence.evaluate([prompt[0]!], { temperature: 0, yieldEogToken: true })) if (++n >= genTokens) break;
      const tgMs = performance.now() - started;
      if (rep > 0) {
        pp.push((promptTokens * 1000) / ppMs);
        tg.push((n * 1000) / tgMs);
      }
    }
    process.stdout.write(`| node-llama-cpp | ${threads} | pp${promptTokens} | ${stats(pp)} |\n| node-llama-cpp | ${threads} | tg${genTokens} | ${stats(tg)} |\n`);
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`engine-speed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
