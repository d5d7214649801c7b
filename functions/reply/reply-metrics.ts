import type { GuardrailAction } from './reply-schemas.ts';

/** Why the hot swap kept the current adapter: the refused run (null: the base model) and the one-line reason. */
export interface AdapterRefusal {
  run_id: string | null;
  reason: string;
  at: string;
}

/** Latencies kept for the quantiles: the most recent ones, so the figures follow current load. */
const WINDOW = 2048;

/**
 * Counters and a latency window behind `GET /metrics` (Prometheus text, or JSON).
 *
 * @example
 * const m = new ReplyMetrics(); m.request('reply', 200, 84); m.render()
 */
export class ReplyMetrics {
  private readonly requests = new Map<string, number>();
  private readonly actions = new Map<string, number>();
  private readonly latencies: number[] = [];
  private next = 0;
  replies = 0;
  dropped = 0;
  parityChecks = 0;
  parityMismatches = 0;
  rateLimited = 0;
  adapterSwaps = 0;
  /** Adapters the hot swap refused (the current one kept), and the last reason. */
  adapterRefusals = 0;
  lastAdapterRefusal: AdapterRefusal | null = null;

  refuseAdapter(runId: string | null, reason: string, at: Date = new Date()): void {
    this.adapterRefusals++;
    this.lastAdapterRefusal = { run_id: runId, reason, at: at.toISOString() };
  }

  request(endpoint: string, status: number, latencyMs?: number): void {
    const key = `${endpoint}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (latencyMs === undefined) return;
    if (this.latencies.length < WINDOW) this.latencies.push(latencyMs);
    else this.latencies[this.next] = latencyMs;
    this.next = (this.next + 1) % WINDOW;
  }

  guardrail(actions: readonly GuardrailAction[]): void {
    for (const a of actions) {
      const key = `${a.guardrail}\u0000${a.action}`;
      this.actions.set(key, (this.actions.get(key) ?? 0) + 1);
    }
  }

  quantile(q: number): number | null {
    if (this.latencies.length === 0) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  }

  snapshot() {
    const split = (m: Map<string, number>, a: string, b: string) =>
      [...m].map(([k, count]) => {
        const [x, y] = k.split('\u0000');
        return { [a]: x, [b]: y, count };
      });
    return {
      requests: split(this.requests, 'endpoint', 'status'),
      latency_ms: { p50: this.quantile(0.5), p90: this.quantile(0.9), p95: this.quantile(0.95), p99: this.quantile(0.99), window: this.latencies.length },
      replies: this.replies,
      replies_dropped: this.dropped,
      guardrail_actions: split(this.actions, 'guardrail', 'action'),
      parity: { checks: this.parityChecks, mismatches: this.parityMismatches },
      rate_limited: this.rateLimited,
      adapter_swaps: this.adapterSwaps,
      adapter_refusals: { count: this.adapterRefusals, last: this.lastAdapterRefusal },
    };
  }

  /** Prometheus text exposition format. */
  render(): string {
    const s = this.snapshot();
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('dougpt_requests_total', 'counter', 'Requests by endpoint and HTTP status.', s.requests.map((r) => [`{endpoint="${r.endpoint}",status="${r.status}"}`, r.count]));
    metric(
      'dougpt_request_latency_ms',
      'summary',
      `Latency of answered generation requests, over the last ${WINDOW}.`,
      (['0.5', '0.9', '0.95', '0.99'] as const).flatMap((q) => {
        const v = this.quantile(Number(q));
        return v === null ? [] : [[`{quantile="${q}"}`, v] as [string, number]];
      }),
    );
    metric('dougpt_replies_total', 'counter', 'Replies returned.', [['', s.replies]]);
    metric('dougpt_replies_dropped_total', 'counter', 'Replies dropped by the guardrails after every regeneration.', [['', s.replies_dropped]]);
    metric('dougpt_guardrail_actions_total', 'counter', 'Guardrail actions by guardrail and action.', s.guardrail_actions.map((a) => [`{guardrail="${a.guardrail}",action="${a.action}"}`, a.count]));
    metric('dougpt_prompt_parity_checks_total', 'counter', 'Prompts re-rendered independently by the shadow check.', [['', s.parity.checks]]);
    metric('dougpt_prompt_parity_mismatches_total', 'counter', 'Shadow re-renders that differed from the served prompt.', [['', s.parity.mismatches]]);
    metric('dougpt_rate_limited_total', 'counter', 'Requests refused with 429.', [['', s.rate_limited]]);
    metric('dougpt_adapter_swaps_total', 'counter', 'Adapters swapped in without a restart.', [['', s.adapter_swaps]]);
    metric('dougpt_adapter_refusals_total', 'counter', 'Adapters refused by the hot swap (the current one kept; /healthz says why).', [['', s.adapter_refusals.count]]);
    return `${lines.join('\n')}\n`;
  }
}
