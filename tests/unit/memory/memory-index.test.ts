import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMemoryIndex, memoryIndexText, memoryWords, parseMemoryIndex, recall, type MemoryEntry } from '../../../functions/memory/memory-index.ts';
import { loadPromptSpec, renderMessages, renderMemory } from '../../../functions/prompt/prompt-spec.ts';

const entry = (pair_id: string, vod_id: string, offset_ms: number, context: string, reply = `reply to ${pair_id}`): MemoryEntry => ({ pair_id, vod_id, offset_ms, context, reply });

const ENTRIES: MemoryEntry[] = [
  entry('a1', 'vod-a', 60_000, 'the penguin jumped into the lava again'),
  entry('a2', 'vod-a', 1_000_000, 'the penguin is fine I promise the penguin is fine'),
  entry('b1', 'vod-b', 60_000, 'penguin lava penguin lava what is happening'),
  entry('b2', 'vod-b', 400_000, 'thank you for the subs everybody'),
  entry('b3', 'vod-b', 500_000, 'we are building a rocket today chat'),
  entry('c1', 'vod-c', 10_000, 'the penguin jumped into the lava again', 'same context as a1'),
];
const index = () => parseMemoryIndex(memoryIndexText(buildMemoryIndex('ds-test', ENTRIES)));

describe('memory index', () => {
  it('splits words on anything but ASCII letters and digits, lower-cased', () => {
    expect(memoryWords("Okay CHAT, we're at 2-1! café")).toEqual(['okay', 'chat', 'we', 're', 'at', '2', '1', 'caf']);
  });

  it('ranks by BM25: more shared, rarer words first; nothing for a query sharing no word', () => {
    const got = recall(index(), { context: 'penguin lava' });
    expect(got.map((m) => m.pair_id)).toEqual(['b1', 'a1', 'a2']);
    expect(got[0]!.score).toBeGreaterThan(got[1]!.score);
    expect(recall(index(), { context: 'zebra xylophone' })).toEqual([]);
  });

  it('never recalls the example itself', () => {
    const ids = recall(index(), { context: 'thank you for the subs everybody', pair_id: 'b2' }, 10).map((m) => m.pair_id);
    expect(ids).not.toContain('b2');
    expect(recall(index(), { context: 'thank you for the subs everybody' }, 10).map((m) => m.pair_id)).toContain('b2');
  });

  it('never recalls a moment of the same VOD within five minutes, either side', () => {
    const near = recall(index(), { context: 'penguin lava rocket subs', vod_id: 'vod-b', offset_ms: 360_000 }, 10).map((m) => m.pair_id);
    expect(near).not.toContain('b1'); // 300 s before: inside the window (inclusive)
    expect(near).not.toContain('b2'); // 40 s after
    expect(near).not.toContain('b3'); // 140 s after
    expect(near).toEqual(expect.arrayContaining(['a1', 'a2']));
    const far = recall(index(), { context: 'penguin lava rocket subs', vod_id: 'vod-b', offset_ms: 360_001 }, 10).map((m) => m.pair_id);
    expect(far).toContain('b1'); // 300.001 s before: outside
    const unknownOffset = recall(index(), { context: 'penguin lava rocket subs', vod_id: 'vod-b' }, 10).map((m) => m.pair_id);
    expect(unknownOffset.filter((id) => id.startsWith('b'))).toEqual([]);
  });

  it('keeps one moment per context text and returns at most k (3 by default)', () => {
    const got = recall(index(), { context: 'the penguin jumped into the lava' }, 10).map((m) => m.pair_id);
    expect(got.filter((id) => id === 'a1' || id === 'c1')).toHaveLength(1);
    expect(recall(index(), { context: 'the penguin lava rocket subs chat' })).toHaveLength(3);
  });

  it('a rebuild writes the same bytes; a malformed file is refused naming the field', () => {
    expect(memoryIndexText(buildMemoryIndex('ds-test', ENTRIES))).toBe(memoryIndexText(buildMemoryIndex('ds-test', ENTRIES)));
    const file = JSON.parse(memoryIndexText(buildMemoryIndex('ds-test', ENTRIES)));
    delete file.entries[2].reply;
    expect(() => parseMemoryIndex(JSON.stringify(file), 'x/memory.json')).toThrow(/^x\/memory.json: entries.2.reply: /);
    expect(() => parseMemoryIndex('{', 'x/memory.json')).toThrow(/x\/memory.json: not JSON/);
  });
});

describe('prompt spec memory block', () => {
  const { spec } = loadPromptSpec();
  const memories = [
    { context: 'the penguin jumped into the lava', reply: 'rip  penguin\n' },
    { context: '', reply: 'LUL' },
    { context: 'x', reply: '   ' },
  ];

  it('renders the recalled moments before the streamer line, and nothing without them', () => {
    const [, user] = renderMessages(spec, 'the penguin is back', memories);
    expect(user!.content).toBe(
      'Earlier, when the streamer said "the penguin jumped into the lava", chat said "rip penguin".\n' +
        'Earlier, when the streamer said "(silence)", chat said "LUL".\n' +
        'Streamer: the penguin is back',
    );
    expect(renderMessages(spec, 'the penguin is back')[1]!.content).toBe('Streamer: the penguin is back');
  });

  it('trims memory first: items that would pass the word budget go, the context stays whole', () => {
    const long = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    const many = Array.from({ length: 3 }, (_, i) => ({ context: long, reply: `reply ${i}` }));
    const block = renderMemory(spec, many, long);
    const budget = spec.memory!.budget_words - 80;
    const itemWords = block.split(/\s+/u).filter(Boolean).length;
    expect(itemWords).toBeLessThanOrEqual(budget);
    expect(block.split('\n').filter(Boolean)).toHaveLength(2); // each item ≈ 42 words: two fit in 80
    expect(block).toContain(`said "${Array.from({ length: 30 }, (_, i) => `w${i + 50}`).join(' ')}"`);
    expect(renderMessages(spec, long, many)[1]!.content.endsWith(`Streamer: ${long}`)).toBe(true);
  });

  it('a {reply} inside a recalled context stays text', () => {
    expect(renderMemory(spec, [{ context: 'say {reply} now', reply: 'ok' }], 'hi')).toBe('Earlier, when the streamer said "say {reply} now", chat said "ok".\n');
  });
});

describe('memory options of the evaluator and the trainer', () => {
  it('reach the Python jobs as absolute paths', async () => {
    const { EvaluateAdapterInput, toEvalJob } = await import('../../../functions/eval/evaluate-adapter.ts');
    const { TrainFromFilesInput, toTrainJob } = await import('../../../functions/train/train-from-files.ts');
    const evalJob = toEvalJob(EvaluateAdapterInput.parse({ adapter: 'run', dataset: 'ds', memory: 'ds/memory.json', memory_k: 2 }));
    expect(evalJob).toMatchObject({ memory: resolve('ds/memory.json'), memory_k: 2 });
    expect(toEvalJob(EvaluateAdapterInput.parse({ adapter: 'run', dataset: 'ds' }))).not.toHaveProperty('memory');
    expect(toTrainJob(TrainFromFilesInput.parse({ dataset: 'ds', out: 'run', memory: 'ds/memory.json' }))).toMatchObject({ memory: resolve('ds/memory.json') });
  });
});
