import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { EvaluateAdapterInput, toEvalJob } from '../../../functions/eval/evaluate-adapter.ts';
import { loadPromptSpec } from '../../../functions/prompt/prompt-spec.ts';
import { cutAtStop, SAMPLING } from '../../../functions/prompt/sampling.ts';
import { loadBannedPhrases } from '../../../functions/reply/guardrails/banned-phrases.ts';
import type { Guardrails } from '../../../functions/reply/guardrails/guardrails.ts';
import { DEFAULT_BANNED_PHRASES } from '../../../functions/reply/open-reply-stack.ts';
import { createToxicityFilter } from '../../../functions/reply/guardrails/toxicity.ts';
import { toxicityCheckCommand } from '../../../functions/eval/toxicity-check.ts';
import { memoryLogSink } from '../../../functions/reply/inference-log.ts';
import { createReplyService, DEFAULT_SAMPLING } from '../../../functions/reply/reply-service.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';
import { stubEngine } from '../reply/stub-engine.ts';

const guardrails: Guardrails = { toxicity: null, banned: null, scrubViewerNames: null, maxChars: 200, recent: null, maxRegenerations: 0 };
const SAMPLES = ['W', 'W\nand a second turn', '  LUL  \n', 'no stop at all', '\n', 'pog\n\nmore', 'a<|im_end|>b'];

describe('one sampling configuration for what is served and what is evaluated', () => {
  it('the eval job gets the sampling the reply server uses', async () => {
    const job = toEvalJob(EvaluateAdapterInput.parse({ adapter: '/runs/r1', dataset: '/data/ds1' }));
    expect(job.generation).toEqual({ temperature: SAMPLING.temperature, top_p: SAMPLING.top_p, top_k: SAMPLING.top_k, stop: SAMPLING.stop });

    const engine = stubEngine(() => 'W');
    const service = createReplyService({ engine, spec: loadPromptSpec(), guardrails, log: memoryLogSink() });
    await service.reply({ context: 'we are so back', n: 1, seed: 1, stop: ['!'], endpoint: 'reply' });
    const [request] = engine.requests;
    expect(request).toMatchObject({ temperature: DEFAULT_SAMPLING.temperature, topP: DEFAULT_SAMPLING.top_p, topK: SAMPLING.top_k });
    expect(request!.stop).toEqual([...SAMPLING.stop, '!']);
    expect(SAMPLING.stop).toContain('\n'); // a chat message is one line, served and evaluated
  });

  const python = join(REPO_ROOT, '.venv', 'bin', 'python');
  it("the evaluator cuts a sample where the server's engine cuts a reply", async () => {
    const { stdout } = await execa(python, [
      '-c',
      'import json, sys\nfrom dougpt_gpu.evaluate.scoring import cut_at_stop\nstops, samples = json.loads(sys.argv[1])\nprint(json.dumps([cut_at_stop(s, stops).strip() for s in samples]))',
      JSON.stringify([SAMPLING.stop, SAMPLES]),
    ]);
    expect(JSON.parse(stdout)).toEqual(SAMPLES.map((s) => cutAtStop(s, SAMPLING.stop).trim()));
    expect(cutAtStop('W\nand a second turn', SAMPLING.stop)).toBe('W');
  });

  it('the server refuses by default the banned phrases the evaluation gates on, matched alike', async () => {
    const texts = ['KYS lol', 'go   die', 'skys the limit', 'kill yourself!', 'W', 'kill yourselves', 'Go Die.'];
    const served = loadBannedPhrases(DEFAULT_BANNED_PHRASES);
    expect(served.phrases.length).toBeGreaterThan(0);
    const { stdout } = await execa(python, [
      '-c',
      'import json, sys\nfrom dougpt_gpu.evaluate.safety import banned_pattern, read_banned_phrases\npath, texts = json.loads(sys.argv[1])\npattern = banned_pattern(read_banned_phrases(path))\nprint(json.dumps([pattern.search(t) is not None for t in texts]))',
      JSON.stringify([DEFAULT_BANNED_PHRASES, texts]),
    ]);
    const evaluated = JSON.parse(stdout) as boolean[];
    expect(evaluated).toEqual(texts.map((t) => served.find(t) !== null));
    expect(evaluated.filter(Boolean).length).toBeGreaterThanOrEqual(3);
  });

  it("the evaluation's toxicity figure counts exactly what the server's guardrail refuses", async () => {
    const texts = ['you are a b1tch', 'hello chat', 'kys', 'what the fuuuuck', 'shiitake mushrooms', 'class assignment', 'W', ''];
    const { stdout } = await execa(python, [
      '-c',
      'import json, sys\nfrom dougpt_gpu.evaluate.safety import toxicity_flags\ncommand, texts = json.loads(sys.argv[1])\nprint(json.dumps(toxicity_flags(texts, command)))',
      JSON.stringify([toxicityCheckCommand(), texts]),
    ]);
    const filter = createToxicityFilter();
    const evaluated = JSON.parse(stdout) as boolean[];
    expect(evaluated).toEqual(texts.map((t) => filter.find(t) !== null));
    expect(evaluated.filter(Boolean).length).toBeGreaterThanOrEqual(3);
    // The pipeline's eval job (process mode) carries the command; without it the evaluator falls back and says so.
    expect(toEvalJob(EvaluateAdapterInput.parse({ adapter: 'a', dataset: 'd' }), { toxicityCheck: toxicityCheckCommand() }).toxicity_check).toEqual(toxicityCheckCommand());
  });
});
