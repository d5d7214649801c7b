import type { AdapterSource } from './adapter-source.ts';
import type { AdapterRef, ReplyEngine } from './reply-engine.ts';
import type { ReplyMetrics } from './reply-metrics.ts';

export interface FollowAdapterOptions {
  source: AdapterSource;
  engine: ReplyEngine;
  /** Throws (one line) when an adapter must not be served: checkAdapter against what the server runs. */
  check: (adapter: AdapterRef | null) => void;
  metrics: ReplyMetrics;
  /** Called with the adapter now served, after each swap. */
  onSwap?: (adapter: AdapterRef | null) => void;
  notice: (line: string) => void;
}

/**
 * The adapter hot swap: whenever the source reports a change, reads its adapter, checks it and swaps
 * it in without a restart. An adapter that fails the check (another prompt spec or base), or that
 * cannot be read or loaded, is refused: the current adapter keeps serving, and the refusal is
 * counted and kept with its reason in the metrics (`/metrics`, `/healthz`) and told to `notice`.
 * Returns the unsubscribe.
 *
 * @example
 * const stop = followAdapterSource({ source, engine, check: (a) => checkAdapter(a, { base, spec }), metrics, notice });
 */
export function followAdapterSource(options: FollowAdapterOptions): () => void {
  const { source, engine, metrics, notice } = options;
  return source.watch(() => {
    let next: AdapterRef | null | undefined;
    void (async () => {
      next = await source.current();
      options.check(next);
      const before = engine.adapter;
      await engine.useAdapter(next);
      const after = engine.adapter;
      if (after.gguf === before.gguf && after.run_id === before.run_id) return;
      metrics.adapterSwaps++;
      options.onSwap?.(next);
      notice(`serving ${next ? `adapter ${next.run_id} (${next.gguf})` : `the base model ${after.base.name}`}`);
    })().catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      metrics.refuseAdapter(next?.run_id ?? null, reason);
      notice(`adapter not swapped, still serving ${engine.adapter.run_id ?? 'the base model'}: ${reason}`);
    });
  });
}
