import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { config, dougpt, sqlRows } from './stack.ts';

describe('local stack', () => {
  it('status --json reports every service healthy with its address', async () => {
    const { stdout } = await dougpt(['status', '--json']);
    const status = JSON.parse(stdout) as { services: { name: string; healthy: boolean; url?: string; ui_url?: string }[]; bin: Record<string, string> };
    const byName = Object.fromEntries(status.services.map((s) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['temporal', 'minio', 'catalog', 'worker']));
    for (const service of status.services) expect(service.healthy, service.name).toBe(true);
    expect(byName.temporal?.url).toBe(config.temporalAddress);
    expect(byName.temporal?.ui_url).toBe(`http://127.0.0.1:${config.ports.temporalUi}`);
    expect(byName.minio?.url).toBe(config.s3Endpoint);
    expect(byName.catalog?.url).toBe(config.catalogUri);
    expect(isAbsolute(status.bin.temporal ?? '')).toBe(true);
    expect(isAbsolute(status.bin.minio ?? '')).toBe(true);
  });

  it('up reuses what already runs', async () => {
    const { stderr } = await dougpt(['up']);
    expect(stderr).toMatch(/minio: reused/);
    expect(stderr).toMatch(/temporal: reused/);
    expect(stderr).not.toMatch(/: started/);
  });

  it('env gives shell exports and JSON for the lake and Temporal, with generated credentials', async () => {
    const json = JSON.parse((await dougpt(['env', '--json'])).stdout) as Record<string, string>;
    expect(json.TEMPORAL_ADDRESS).toBe(config.temporalAddress);
    expect(json.AWS_ENDPOINT_URL).toBe(config.s3Endpoint);
    expect(json.ICEBERG_REST_URI).toBe(config.catalogUri);
    expect(json.AWS_REGION).toBeTruthy();
    expect(json.AWS_ACCESS_KEY_ID).toBe(config.credentials.accessKeyId);
    expect(json.AWS_SECRET_ACCESS_KEY).not.toMatch(/minioadmin/);
    expect(json.PATH?.split(':')).toContain(JSON.parse((await dougpt(['status', '--json'])).stdout).bin.temporal.replace(/\/temporal$/, ''));
    const shell = (await dougpt(['env'])).stdout;
    expect(shell).toMatch(/^export TEMPORAL_ADDRESS='127\.0\.0\.1:\d+'$/m);
    expect(shell).toMatch(/^export ICEBERG_REST_URI=/m);
  });

  it('the lake has its namespaces, tables and schema version', async () => {
    const rows = await sqlRows('select version from meta.schema_migrations order by version');
    expect(rows.map((r) => Number(r.version))).toEqual([1, 2, 3]);
    for (const table of [
      'bronze.vod_manifest', 'silver.audio', 'silver.chat_messages', 'silver.chat_rejects', 'silver.asr_runs',
      'silver.transcript_words', 'silver.transcript_segments', 'silver.chat_offsets', 'gold.pairs', 'gold.pair_reviews',
      'gold.datasets', 'gold.dataset_examples', 'gold.training_runs', 'gold.eval_results', 'gold.eval_judgments',
      'gold.promotions', 'gold.inference_log',
    ]) {
      const [row] = await sqlRows(`select count(*) n from ${table}`);
      expect(Number(row?.n), table).toBeGreaterThanOrEqual(0);
    }
  });

  it('sql refuses writes with a clear one-line error', async () => {
    const result = await dougpt(['sql', 'delete from silver.chat_messages'], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/read-only/);
  });
});
