import { condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { IngestActivities } from '../functions/activities.ts';
import { lakeCommit } from './profiles.ts';

export interface PromoteSignal {
  run_id: string;
  note?: string;
  /** Promote even when the run's gates failed (recorded as forced). */
  force?: boolean;
  who?: string;
}
export interface RollbackSignal {
  note?: string;
  who?: string;
}

/** What `current` answers: the promoted adapter, or null before the first promotion. */
export interface PromotedAdapter {
  run_id: string;
  adapter_key: string;
  promoted_at: string;
  eval: { eval_id: string; passed: boolean; failures: string[]; report_key: string | null } | null;
  forced: boolean;
}

export interface RegistryDecision {
  decision: number;
  action: 'promote' | 'rollback' | 'refused';
  run_id: string | null;
  reason: string | null;
}

export interface AdapterRegistryState {
  current: PromotedAdapter | null;
  /** Earlier promoted adapters, newest last: what `rollback` returns to. */
  previous: PromotedAdapter[];
  decisions: number;
  last: RegistryDecision | null;
}

export const promoteSignal = defineSignal<[PromoteSignal]>('promote');
export const rollbackSignal = defineSignal<[RollbackSignal]>('rollback');
export const currentQuery = defineQuery<PromotedAdapter | null>('current');
export const stateQuery = defineQuery<AdapterRegistryState>('state');

/** History events before the registry continues as new (its state carried over). */
const MAX_HISTORY = 2_000;
/** Rollback depth kept. */
const MAX_PREVIOUS = 20;

const lake = proxyActivities<IngestActivities>(lakeCommit);

/**
 * `adapterRegistry` (workflow id `adapters`): which adapter the reply server uses. Signals `promote`
 * (`{"run_id", "note"?, "force"?}`) and `rollback` (`{"note"?}`); query `current`. A promote whose
 * evaluation failed its gates (or that was never evaluated) is refused unless forced. Every decision
 * is a row in `gold.promotions`. Started by `dougpt up`; runs forever, continuing as new.
 *
 *   temporal workflow signal --workflow-id adapters --name promote --input '{"run_id":"0123abcd…"}'
 *   temporal workflow query  --workflow-id adapters --type current
 */
export async function adapterRegistry(state: AdapterRegistryState = { current: null, previous: [], decisions: 0, last: null }): Promise<void> {
  const queue: Array<{ kind: 'promote'; signal: PromoteSignal } | { kind: 'rollback'; signal: RollbackSignal }> = [];
  setHandler(promoteSignal, (signal) => void queue.push({ kind: 'promote', signal }));
  setHandler(rollbackSignal, (signal) => void queue.push({ kind: 'rollback', signal }));
  setHandler(currentQuery, () => state.current);
  setHandler(stateQuery, () => state);

  for (;;) {
    await condition(() => queue.length > 0 || workflowInfo().historyLength > MAX_HISTORY);
    while (queue.length > 0) {
      const item = queue.shift()!;
      // The counter moves only once the decision is recorded: `state` never shows a half-made decision.
      state.last = item.kind === 'rollback' ? await rollback(state, item.signal) : await promote(state, item.signal);
      state.decisions++;
    }
    if (workflowInfo().historyLength > MAX_HISTORY) await continueAsNew<typeof adapterRegistry>(state);
  }
}

async function rollback(state: AdapterRegistryState, signal: RollbackSignal): Promise<RegistryDecision> {
  const decision = state.decisions;
  const who = signal.who ?? 'signal';
  const note = signal.note ?? null;
  if (!state.current) {
    const reason = 'rollback: nothing is promoted';
    await lake.recordPromotion({ decision, action: 'refused', run_id: null, from_run_id: null, who, note, forced: false, gates_passed: null, reason });
    return { decision, action: 'refused', run_id: null, reason };
  }
  const back = state.previous.at(-1) ?? null;
  await lake.recordPromotion({ decision, action: 'rollback', run_id: back?.run_id ?? null, from_run_id: state.current.run_id, who, note, forced: false, gates_passed: back?.eval?.passed ?? null, reason: null });
  state.previous = state.previous.slice(0, -1);
  state.current = back;
  return { decision, action: 'rollback', run_id: back?.run_id ?? null, reason: null };
}

async function promote(state: AdapterRegistryState, signal: PromoteSignal): Promise<RegistryDecision> {
  const decision = state.decisions;
  const who = signal.who ?? 'signal';
  const note = signal.note ?? null;
  const { run_id, force = false } = signal;
  const verdict = await lake.latestEvalVerdict({ run_id, promoted_run_id: state.current?.run_id ?? null });
  const exists = await lake.trainingRunExists({ run_id });
  const already = state.current?.run_id === run_id;
  let refusal: string | null = null;
  if (!exists) refusal = `run ${run_id} is not in gold.training_runs`;
  else if (already) refusal = `run ${run_id} is already promoted`;
  else if (!verdict) refusal = `run ${run_id} has no evaluation: run trainAdapter (or dougpt eval) first, or force`;
  else if (verdict.disqualified) refusal = `run ${run_id}: ${verdict.disqualified}; evaluate it on the full test split (dougpt eval, or trainAdapter without eval_limit), or force`;
  else if (!verdict.passed) refusal = `run ${run_id} failed its gates: ${verdict.failures.join('; ')}`;
  // An unknown or already promoted run is refused even when forced; force overrides only the gates.
  if (!exists || already || (refusal && !force)) {
    await lake.recordPromotion({ decision, action: 'refused', run_id, from_run_id: state.current?.run_id ?? null, who, note, forced: force, gates_passed: verdict?.passed ?? null, reason: refusal });
    return { decision, action: 'refused', run_id, reason: refusal };
  }
  const forced = refusal !== null;
  const recorded = await lake.recordPromotion({ decision, action: 'promote', run_id, from_run_id: state.current?.run_id ?? null, who, note, forced, gates_passed: verdict?.passed ?? null, reason: forced ? refusal : null });
  if (state.current) state.previous = [...state.previous, state.current].slice(-MAX_PREVIOUS);
  // The time comes from the activity's recorded result: workflow code reads no clock.
  state.current = { run_id, adapter_key: `gold/adapters/${run_id}/`, promoted_at: recorded.at, eval: verdict, forced };
  return { decision, action: 'promote', run_id, reason: null };
}
