import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { cp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realIndex } from '../../functions/judge/judge-items.ts';
import { Judgment } from '../../functions/judge/judgments.ts';
import { REPO_ROOT } from '../../infra/paths.ts';
import { hasChromium, launchChromium } from './browser.ts';
import { dougpt, env, sqlRows } from './stack.ts';

const FIXTURE = join(REPO_ROOT, 'tests', 'fixtures', 'judge', 'eval-0a1b2c3d4e5f');
const EVAL_ID = 'eval-0a1b2c3d4e5f';

interface ItemsResponse {
  items: { pair_id: string; replies: [string, string]; judgment: { picked_real: boolean; rating: number } | null }[];
}

describe.skipIf(!hasChromium)('dougpt judge page', () => {
  let dir: string;
  let child: ResultPromise;
  let url: string;
  let browser: Browser;
  let page: Page;
  // Unique per run, so a kept test stack (DOUGPT_TEST_KEEP_STACK) never matches older rows.
  const reviewer = `judge-it-${Date.now().toString(36)}`;

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'dougpt-judge-it-')), EVAL_ID);
    await cp(FIXTURE, dir, { recursive: true });
    // The real command, with --lake: the stack global-setup.ts started is up.
    child = execa(process.execPath, [join(REPO_ROOT, 'bin', 'dougpt.js'), 'judge', dir, '--json', '--no-open', '--lake', '--sample', '6', '--reviewer', reviewer], {
      env,
      cwd: REPO_ROOT,
      reject: false,
    });
    let out = '';
    url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        try {
          resolve((JSON.parse(out) as { url: string }).url);
        } catch {
          // Not the whole document yet.
        }
      });
      void child.then((done) => reject(new Error(`dougpt judge exited early: ${out} ${String(done.stderr)}`)));
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  });

  afterAll(async () => {
    await browser?.close();
    child?.kill('SIGINT');
    await child;
    if (dir) await rm(join(dir, '..'), { recursive: true, force: true });
  });

  const items = async () => ((await (await fetch(`${url}api/items`)).json()) as ItemsResponse).items;

  it('judges three items with the keyboard and the mouse, keeps them in judgments.jsonl, and shows the running score', async () => {
    const before = await items();
    expect(before).toHaveLength(6);
    await page.goto(url);
    await page.locator('#reply-1').waitFor();
    expect(await page.locator('#progress').textContent()).toContain('item 1 of 6');
    expect(await page.locator('#score').textContent()).toContain('none judged');
    // Blind: nothing marks a reply before the pick.
    expect(await page.locator('.reply.real, .reply.generated, #verdict, #rating').count()).toBe(0);

    const picks: [number, number][] = [];
    const judge = async (i: number, how: { pick: 'key' | 'mouse'; rate: 'key' | 'mouse' }, picked: 0 | 1, rating: number) => {
      await expect.poll(() => page.locator('#progress').textContent()).toContain(`item ${i + 1} of 6`);
      expect(await page.locator('#reply-1 .text').textContent()).toBe(before[i]!.replies[0]);
      if (how.pick === 'key') await page.keyboard.press(String(picked + 1));
      else await page.locator(`#reply-${picked + 1}`).click();
      await page.locator('#verdict').waitFor();
      const answer = realIndex(EVAL_ID, before[i]!.pair_id);
      // The reveal marks the real reply and says whether the pick was right.
      expect(await page.locator(`#reply-${answer + 1}`).getAttribute('class')).toContain('real');
      expect(await page.locator('#verdict').textContent()).toMatch(picked === answer ? /^Right/ : /^Wrong/);
      if (how.rate === 'key') await page.keyboard.press(String(rating));
      else await page.locator(`#rating button[data-rating="${rating}"]`).click();
      picks.push([picked === answer ? 1 : 0, rating]);
    };
    await judge(0, { pick: 'key', rate: 'key' }, 0, 4);
    await judge(1, { pick: 'mouse', rate: 'mouse' }, 1, 2);
    await judge(2, { pick: 'key', rate: 'mouse' }, realIndex(EVAL_ID, before[2]!.pair_id), 5);
    // The page moves on at once; each save (a lake commit with --lake) is confirmed after.
    await expect.poll(() => page.locator('#progress').textContent(), { timeout: 30_000 }).toContain('item 4 of 6 · 3 judged (sample');

    const correct = picks.filter(([c]) => c).length;
    await expect.poll(() => page.locator('#score').textContent()).toContain(`correct picks ${correct} of 3 (${Math.round((correct / 3) * 100)} %)`);

    const lines = (await readFile(join(dir, 'judgments.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const saved = lines.map((line) => Judgment.parse(JSON.parse(line)));
    expect(saved.map((j) => [j.pair_id, j.picked_real, j.rating])).toEqual(before.slice(0, 3).map((item, i) => [item.pair_id, picks[i]![0] === 1, picks[i]![1]]));
    for (const j of saved) expect(j).toMatchObject({ eval_id: EVAL_ID, run_id: 'train-fixture-01', reviewer });

    // A reload shows the same order and starts at the first item not judged.
    const after = await items();
    expect(after.map((i) => i.replies)).toEqual(before.map((i) => i.replies));
    await page.reload();
    await expect.poll(() => page.locator('#progress').textContent(), { timeout: 5_000 }).toContain('item 4 of 6 · 3 judged');
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('#rating button.chosen').getAttribute('data-rating')).toBe('5');
    expect(await page.locator('#reply-1').isDisabled()).toBe(true);

    const summary = await dougpt(['judge', dir, '--summary', '--json']);
    expect(JSON.parse(summary.stdout)).toEqual({ eval_id: EVAL_ID, judged: 3, correct_share: correct / 3, mean_rating: (4 + 2 + 5) / 3 });

    // --lake: the same rows in gold.eval_judgments.
    const rows = await sqlRows(`select judgment_id, pair_id, picked_real, rating, run_id from gold.eval_judgments where reviewer = '${reviewer}' order by judged_at`);
    expect(rows).toEqual(saved.map((j) => ({ judgment_id: j.judgment_id, pair_id: j.pair_id, picked_real: j.picked_real, rating: j.rating, run_id: j.run_id })));
  });

  it('takes a screenshot of a revealed item (into docs/ with DOUGPT_SCREENSHOT=1)', async () => {
    await page.goto(url);
    await page.locator('#reply-1').waitFor();
    await page.keyboard.press('2');
    await page.locator('#verdict').waitFor();
    const dir = process.env.DOUGPT_SCREENSHOT === '1' ? join(REPO_ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'dougpt-judge-shot-'));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'judge-screenshot.png');
    await page.screenshot({ path });
    expect(statSync(path).size).toBeGreaterThan(10_000);
  });

  it('`dougpt judge` names a folder that is not an evaluation in one line, exit 2', async () => {
    const missing = await dougpt(['judge', join(dir, 'nope'), '--summary', '--json'], { reject: false });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain(join(dir, 'nope', 'eval.json'));
  });
});
