import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadEvalFolder, type EvalFolder } from '../../functions/judge/eval-folder.ts';
import { realIndex, sampleJudgeSamples, toJudgeItem, type JudgeItem } from '../../functions/judge/judge-items.ts';
import { readJudgments, type Judgment } from '../../functions/judge/judgments.ts';
import { saveJudgment } from '../../functions/judge/save-judgment.ts';
import { summariseJudgments } from '../../functions/judge/summarise-judgments.ts';
import { writeEvalJudgments, type JudgmentLake } from '../../functions/judge/write-eval-judgments.ts';
import { listenPage } from '../listen-page.ts';
import { PageError as HttpError, readPageJson, serveStaticPage, type StaticPages } from '../page-io.ts';
import { sendJson } from '../serve/http-io.ts';

const PAGE_DIR = dirname(fileURLToPath(import.meta.url));
const STATIC: StaticPages = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/judge.js': { file: 'judge.js', type: 'text/javascript; charset=utf-8' },
  '/judge.css': { file: 'judge.css', type: 'text/css; charset=utf-8' },
};
const MAX_BODY_BYTES = 4 * 1024;

export const PickRequest = z.object({ pair_id: z.string().min(1), picked: z.union([z.literal(0), z.literal(1)]) });
export const JudgmentRequest = z.object({ pair_id: z.string().min(1), rating: z.number().int().min(1).max(5) });

async function readJsonBody<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.output<T>> {
  const value = await readPageJson(req, MAX_BODY_BYTES);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** An item as listed: its reviewer's pick once made (the answer with it), and the saved judgment. */
interface ListedItem extends JudgeItem {
  pick: { picked: 0 | 1; real_index: 0 | 1 } | null;
  judgment: { picked_real: boolean; rating: number; judged_at: string } | null;
}

/**
 * The judge page's request handler over one evaluation's sampled items.
 *
 * Blindness: the list never says which reply is real. The answer comes back only for a pick the
 * server has recorded, and a recorded pick cannot change (not even after a reload), so the rating
 * that follows the reveal cannot feed back into the pick.
 */
export function createJudgeHandler(deps: {
  folder: EvalFolder;
  /** Items in the order shown. */
  items: readonly JudgeItem[];
  reviewer: string;
  lake?: JudgmentLake;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const { folder, items, reviewer } = deps;
  const seed = folder.info.eval_id;
  const byId = new Map(items.map((item) => [item.pair_id, item]));
  const picks = new Map<string, 0 | 1>();
  // One save at a time: the "judged already?" check and the append must not interleave.
  let saving: Promise<unknown> = Promise.resolve();

  const mine = async (): Promise<Judgment[]> =>
    (await readJudgments(folder.judgmentsPath)).filter((j) => j.eval_id === folder.info.eval_id && j.reviewer === reviewer);

  const listItems = async () => {
    const judged = new Map((await mine()).map((j) => [j.pair_id, j]));
    const listed: ListedItem[] = items.map((item) => {
      const j = judged.get(item.pair_id);
      const picked = picks.get(item.pair_id);
      const answer = j || picked !== undefined ? realIndex(seed, item.pair_id) : null;
      return {
        ...item,
        pick: answer === null ? null : { picked: picked ?? (j!.picked_real ? answer : ((1 - answer) as 0 | 1)), real_index: answer },
        judgment: j ? { picked_real: j.picked_real, rating: j.rating, judged_at: j.judged_at } : null,
      };
    });
    return { eval_id: folder.info.eval_id, run_id: folder.info.adapter_run_id, reviewer, total: folder.samples.length, items: listed, summary: summariseJudgments([...judged.values()]) };
  };

  const pick = async (req: IncomingMessage) => {
    const body = await readJsonBody(req, PickRequest);
    if (!byId.has(body.pair_id)) throw new HttpError(404, `${body.pair_id}: not an item of this judging sample`);
    const answer = realIndex(seed, body.pair_id);
    const judged = (await mine()).find((j) => j.pair_id === body.pair_id);
    const first = picks.get(body.pair_id) ?? (judged ? (judged.picked_real ? answer : ((1 - answer) as 0 | 1)) : body.picked);
    picks.set(body.pair_id, first);
    return { pair_id: body.pair_id, picked: first, real_index: answer, picked_real: first === answer };
  };

  const judge = async (req: IncomingMessage) => {
    const body = await readJsonBody(req, JudgmentRequest);
    if (!byId.has(body.pair_id)) throw new HttpError(404, `${body.pair_id}: not an item of this judging sample`);
    const picked = picks.get(body.pair_id);
    if (picked === undefined) throw new HttpError(409, `${body.pair_id}: pick the real reply first`);
    const run = saving.then(async () => {
      if ((await mine()).some((j) => j.pair_id === body.pair_id)) throw new HttpError(409, `${body.pair_id}: judged already by ${reviewer}`);
      const answer = realIndex(seed, body.pair_id);
      const saved = await saveJudgment(
        { eval_id: folder.info.eval_id, run_id: folder.info.adapter_run_id, pair_id: body.pair_id, picked_real: picked === answer, rating: body.rating, reviewer },
        { judgmentsPath: folder.judgmentsPath, lake: deps.lake },
      );
      if (saved.lake_error) process.stderr.write(`judge: ${body.pair_id}: kept in judgments.jsonl, not in the lake: ${saved.lake_error}\n`);
      return { ...saved, real_index: answer, summary: summariseJudgments(await mine()) };
    });
    saving = run.catch(() => undefined);
    return run;
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://judge.invalid');
    const route = async () => {
      if (await serveStaticPage(req, res, url.pathname, STATIC, PAGE_DIR)) return;
      const routes: Record<string, { method: string; status: number; run: () => Promise<unknown> }> = {
        '/api/items': { method: 'GET', status: 200, run: listItems },
        '/api/picks': { method: 'POST', status: 200, run: () => pick(req) },
        '/api/judgments': { method: 'POST', status: 201, run: () => judge(req) },
      };
      const api = routes[url.pathname];
      if (!api) throw new HttpError(404, `${url.pathname}: no such page`);
      if (req.method !== api.method) throw new HttpError(405, `${req.method} ${url.pathname}: use ${api.method}`);
      sendJson(res, api.status, await api.run());
    };
    route().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy(error instanceof Error ? error : undefined);
        return;
      }
      if (error instanceof HttpError) sendJson(res, error.status, error.body);
      else {
        process.stderr.write(`judge: ${req.method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}\n`);
        sendJson(res, 500, { error: error instanceof Error ? error.message.split('\n')[0] : 'internal error' });
      }
    });
  };
}

export interface JudgeServerOptions {
  /** The evaluation folder: `<run>/eval/<eval_id>/`. */
  dir: string;
  reviewer: string;
  /** Items to judge (default 30). */
  sample?: number;
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** Also write each judgment to gold.eval_judgments (after adding the file's earlier ones). */
  lake?: JudgmentLake;
}

export interface JudgeServer {
  url: string;
  eval_id: string;
  items: number;
  /** Earlier judgments of the file written to the lake on start (null without a lake). */
  synced: number | null;
  close(): Promise<void>;
}

/**
 * Loads an evaluation folder, samples its items and serves the blind judge page until `close()`.
 *
 * @example
 * const judge = await startJudgeServer({ dir: 'runs/r1/eval/eval-0123456789ab', reviewer: 'ana', port: 0 });
 * console.log(judge.url); // http://127.0.0.1:43121/
 * await judge.close();
 */
export async function startJudgeServer(options: JudgeServerOptions): Promise<JudgeServer> {
  const folder = await loadEvalFolder(options.dir);
  const seed = folder.info.eval_id;
  const items = sampleJudgeSamples(folder.samples, options.sample ?? 30, seed).map((s) => toJudgeItem(s, seed));
  // Judgments that missed the lake earlier (a stopped stack) get there now; keyed, so nothing doubles.
  const synced = options.lake ? await writeEvalJudgments(await readJudgments(folder.judgmentsPath), options.lake) : null;
  const handler = createJudgeHandler({ folder, items, reviewer: options.reviewer, lake: options.lake });
  const page = await listenPage(handler, { host: options.host, port: options.port });
  return {
    url: page.url,
    eval_id: folder.info.eval_id,
    items: items.length,
    synced,
    close: page.close,
  };
}
