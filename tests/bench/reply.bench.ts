/**
 * Reply latency benchmark: one reply (at most 24 tokens) through `dougpt serve`'s HTTP API on the
 * embedded base model (and the adapter when one is given or promoted), against the strongest simple
 * method a user would try, in the same run: Hugging Face transformers' `generate` on the same base
 * (+ the same adapter's PEFT folder) in the project venv, with the same prompts, sampling settings
 * and thread count (`--threads`, default 1, the server's default). Then a soak: `--clients`
 * concurrent clients for `--duration` seconds.
 *
 *   npx tsx tests/bench/reply.bench.ts [--requests 40] [--duration 60] [--clients 8] [--threads N] [--adapter RUN_DIR] [--skip-baseline]
 *
 * Goals: server p50 ≤ 150 ms; ≥ 5× faster than the baseline's p50; zero errors in the soak. The
 * server path is the production one (guardrails, inference log, parity check on 10 %), the rate
 * limit off (every client is 127.0.0.1). Latency is measured by the client, end to end. Contexts
 * are streamer-shaped lines (recogniser-like: lower case, no punctuation, run-on). Prints the
 * figures, then one JSON line.
 *
 * It first measures what bounds a reply on this machine, on the engine itself (no server): CPU
 * milliseconds per prompt token (batched prompt evaluation) and per generated token, and the
 * single-core memory bandwidth; generating a token reads every weight once, so the GGUF's size over
 * that bandwidth is the floor of a generated token on one thread.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { z } from 'zod';
import { loadPromptSpec, renderPrompt } from '../../functions/prompt/prompt-spec.ts';
import { readPromoted, resolveAdapter } from '../../functions/reply/adapter-source.ts';
import { projectPython, resolveBaseModel } from '../../functions/reply/base-model.ts';
import { memoryLogSink } from '../../functions/reply/inference-log.ts';
import { openReplyStack } from '../../functions/reply/open-reply-stack.ts';
import type { BaseModelRef } from '../../functions/reply/llama-engine.ts';
import { startReplyServer } from '../../web/serve/serve-server.ts';
import { stateDir } from '../../infra/paths.ts';
import { quantile, STREAMER_CONTEXTS } from './streamer-contexts.ts';

const MAX_TOKENS = 24;
const SAMPLING = { temperature: 0.8, top_p: 0.95 };

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '40' },
    duration: { type: 'string', default: '60' },
    clients: { type: 'string', default: '8' },
    threads: { type: 'string' },
    adapter: { type: 'string' },
    'skip-baseline': { type: 'boolean', default: false },
  },
});
const requests = Number(values.requests);
const duration = Number(values.duration);
const clients = Number(values.clients);
const threads = Number(values.threads ?? 1);

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

// transformers' generate on the same prompts: the baseline. Prompts arrive rendered (the server's
// renderer), tokenized without added special tokens, exactly as the trainer sees them.
const BASELINE = `
import json, sys, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
job = json.load(open(sys.argv[1]))
torch.set_num_threads(job["threads"])
torch.manual_seed(0)
tok = AutoTokenizer.from_pretrained(job["hf_dir"])
model = AutoModelForCausalLM.from_pretrained(job["hf_dir"], dtype=torch.float32)
if job.get("peft_dir"):
    from peft import PeftModel
    model = PeftModel.from_pretrained(model, job["peft_dir"])
model.eval()
def one(prompt):
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False)
    start = time.perf_counter()
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=job["max_tokens"], do_sample=True, temperature=job["temperature"], top_p=job["top_p"], pad_token_id=tok.eos_token_id)
    return (time.perf_counter() - start) * 1000, int(out.shape[1] - ids["input_ids"].shape[1])
for p in job["prompts"][:2]:
    one(p)
lat = [one(p) for p in job["prompts"]]
print(json.dumps({"latency_ms": [l for l, _ in lat], "tokens": [t for _, t in lat], "torch": torch.__version__}))
`;
const BaselineOut = z.object({ latency_ms: z.array(z.number()), tokens: z.array(z.number()), torch: z.string() });

async function baseline(hfDir: string, peftDir: string | null, prompts: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'reply-bench-'));
  try {
    const job = join(dir, 'job.json');
    writeFileSync(job, JSON.stringify({ hf_dir: hfDir, peft_dir: peftDir, prompts, threads, max_tokens: MAX_TOKENS, ...SAMPLING }));
    const run = await execa(projectPython(), ['-c', BASELINE, job], { env: { TOKENIZERS_PARALLELISM: 'false' } });
    return BaselineOut.parse(JSON.parse(run.stdout.trim().split('\n').at(-1)!));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Single-core read bandwidth: memcmp of two equal 256 MiB buffers, best of five in CPU time (GB/s). */
function memoryBandwidth(): number {
  const size = 256 * 1024 * 1024;
  const a = Buffer.alloc(size, 7);
  const b = Buffer.alloc(size, 7);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const since = process.cpuUsage();
    if (a.compare(b) !== 0) throw new Error('buffers differ');
    const used = process.cpuUsage(since);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return (2 * size) / (best / 1000) / 1e9;
}

/**
 * CPU milliseconds per prompt token and per generated token on one sequence of the engine's
 * context (process CPU time, so other load on the machine does not count), medians of 5 rounds.
 */
async function engineCosts(base: BaseModelRef, prompt: string) {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: threads, progressLogs: false });
  const model = await llama.loadModel({ modelPath: base.gguf });
  const context = await model.createContext({ contextSize: 512, sequences: 1, threads });
  const sequence = context.getSequence();
  const tokens = model.tokenize(prompt, true);
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  const prompts: number[] = [];
  const decodes: number[] = [];
  const DECODE = 32;
  for (let round = 0; round < 6; round++) {
    await sequence.clearHistory();
    let since = process.cpuUsage();
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1));
    const promptCpu = cpuMs(since);
    since = process.cpuUsage();
    let n = 0;
    for await (const _ of sequence.evaluate(tokens.slice(-1), { temperature: 0 })) if (++n >= DECODE) break;
    if (round > 0) {
      prompts.push(promptCpu / (tokens.length - 1));
      decodes.push(cpuMs(since) / n);
    }
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { prompt_ms_per_token: quantile(prompts, 0.5), decode_ms_per_token: quantile(decodes, 0.5), prompt_tokens: tokens.length };
}

async function main() {
  const base = await resolveBaseModel();
  if (!base) throw new Error('no base model GGUF: run `make setup`');
  const adapterRef = values.adapter ? resolveAdapter(values.adapter) : readPromoted(join(stateDir(), 'promoted.json'));
  const listed = await execa(projectPython(), ['-m', 'dougpt_gpu', 'models', '--json', '--prepare'], { env: { PYTHONPATH: 'gpu-runner/src' } });
  const hfDir = (JSON.parse(listed.stdout) as { name: string; hf_dir: string }[]).find((m) => m.name === base.name)?.hf_dir;
  const configs: { label: string; adapter: string | null; peft: string | null }[] = [{ label: 'base', adapter: null, peft: null }];
  if (adapterRef) configs.push({ label: `adapter ${adapterRef.run_id}`, adapter: adapterRef.gguf, peft: join(adapterRef.gguf, '..', 'adapter') });

  const load = loadavg()[0]!.toFixed(2);
  process.stderr.write(`reply bench: ${base.name}, ${threads} thread(s), ${requests} requests, load ${load}\n`);
  const bandwidth = memoryBandwidth();
  const ggufMb = statSync(base.gguf).size / 1e6;
  const costs = await engineCosts(base, renderPrompt(loadPromptSpec().spec, STREAMER_CONTEXTS[0]!));
  const floor = { memory_gb_s: bandwidth, gguf_mb: ggufMb, decode_floor_ms_per_token: ggufMb / bandwidth, ...costs };
  process.stdout.write(
    `engine (CPU time, ${threads} thread(s)): prompt ${costs.prompt_ms_per_token.toFixed(1)} ms/token, generation ${costs.decode_ms_per_token.toFixed(1)} ms/token; ` +
      `floor of a generated token: ${ggufMb.toFixed(0)} MB of weights at ${bandwidth.toFixed(1)} GB/s (one core) = ${floor.decode_floor_ms_per_token.toFixed(1)} ms\n`,
  );
  const results: Record<string, unknown>[] = [];
  for (const config of configs) {
    const home = mkdtempSync(join(tmpdir(), 'reply-bench-home-'));
    const log = memoryLogSink();
    const stack = await openReplyStack({ home, base, adapter: config.adapter ? join(config.adapter, '..') : undefined, threads, parallel: clients, log });
    const server = await startReplyServer(stack, { port: 0, rateLimit: 0 });
    const ask = async (i: number) => {
      const started = performance.now();
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: STREAMER_CONTEXTS[i % STREAMER_CONTEXTS.length] }], max_tokens: MAX_TOKENS, seed: i, ...SAMPLING }),
      });
      const body = (await res.json()) as { usage?: { completion_tokens: number } };
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return { ms: performance.now() - started, tokens: body.usage?.completion_tokens ?? 0 };
    };
    for (let i = 0; i < 3; i++) await ask(1000 + i);
    const single: { ms: number; tokens: number }[] = [];
    for (let i = 0; i < requests; i++) single.push(await ask(i));
    const lat = single.map((s) => s.ms);
    // A reply the guardrails reject is sampled again: each regeneration is a whole generation more.
    const measured = log.records.slice(3, 3 + requests);
    const regenerations = measured.reduce((sum, r) => sum + r.guardrail_actions.filter((a) => a.action === 'regenerate').length, 0);
    const regenerated = measured.flatMap((r) => r.guardrail_actions.filter((a) => a.action === 'regenerate').map((a) => a.guardrail));

    // Soak: every client asks again as soon as it has its answer.
    const soak: number[] = [];
    let errors = 0;
    const until = performance.now() + duration * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < until) {
          try {
            soak.push((await ask(n++)).ms);
          } catch {
            errors++;
          }
        }
      }),
    );
    await server.close();
    await stack.close();
    rmSync(home, { recursive: true, force: true });

    const prompts = Array.from({ length: requests }, (_, i) => renderPrompt(stack.service.spec.spec, STREAMER_CONTEXTS[i % STREAMER_CONTEXTS.length]!));
    const peft = config.peft;
    const bl = values['skip-baseline'] || !hfDir ? null : await baseline(hfDir, peft, prompts);
    const row = {
      config: config.label,
      server_p50_ms: quantile(lat, 0.5),
      server_p95_ms: quantile(lat, 0.95),
      server_mean_tokens: single.reduce((a, s) => a + s.tokens, 0) / single.length,
      generations_per_reply: 1 + regenerations / measured.length,
      regenerated_by: Object.fromEntries([...new Set(regenerated)].map((g) => [g, regenerated.filter((x) => x === g).length])),
      baseline_p50_ms: bl ? quantile(bl.latency_ms, 0.5) : null,
      baseline_p95_ms: bl ? quantile(bl.latency_ms, 0.95) : null,
      baseline_mean_tokens: bl ? bl.tokens.reduce((a, b) => a + b, 0) / bl.tokens.length : null,
      speedup_p50: bl ? quantile(bl.latency_ms, 0.5) / quantile(lat, 0.5) : null,
      soak: { clients, duration_s: duration, requests: soak.length, errors, p50_ms: quantile(soak, 0.5), p95_ms: quantile(soak, 0.95), per_s: soak.length / duration },
    };
    results.push(row);
    process.stdout.write(
      `${config.label}: server p50 ${fmt(row.server_p50_ms)}, p95 ${fmt(row.server_p95_ms)} (${row.server_mean_tokens.toFixed(1)} tokens, ${row.generations_per_reply.toFixed(2)} generations per reply${regenerations ? `: ${JSON.stringify(row.regenerated_by)}` : ''})` +
        (bl ? `; transformers generate p50 ${fmt(row.baseline_p50_ms!)}, p95 ${fmt(row.baseline_p95_ms!)} (${row.baseline_mean_tokens!.toFixed(1)} tokens); ${row.speedup_p50!.toFixed(1)}× faster` : '; baseline skipped') +
        `\n  soak: ${clients} clients × ${duration} s: ${soak.length} replies (${row.soak.per_s.toFixed(1)}/s), ${errors} errors, p50 ${fmt(row.soak.p50_ms)}, p95 ${fmt(row.soak.p95_ms)}\n`,
    );
  }
  const goals = results.map((r) => ({ config: r.config, p50_le_150ms: (r.server_p50_ms as number) <= 150, speedup_ge_5x: r.speedup_p50 === null ? null : (r.speedup_p50 as number) >= 5, soak_zero_errors: (r.soak as { errors: number }).errors === 0 }));
  process.stdout.write(`${JSON.stringify({ bench: 'reply', threads, load_avg_1m: Number(load), floor, results, goals })}\n`);
}

await main();
