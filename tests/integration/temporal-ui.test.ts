import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/paths.ts';
import { connectTemporal } from '../../infra/temporal-client.ts';
import { hasChromium, launchChromium } from './browser.ts';
import { config, temporal } from './stack.ts';

describe.skipIf(!hasChromium)('Temporal Web UI', () => {
  it('lists ingest runs, failed ones with their reason', async () => {
    const id = `it-ui-${Date.now()}`;
    // A batch whose input is wrong fails at once, as a non-retryable BadInput.
    await temporal(['workflow', 'start', '--type', 'ingestBatch', '--task-queue', 'dougpt', '--workflow-id', id, '--input', '{"videos":[]}']);
    const { client, connection } = await connectTemporal(config);
    try {
      await expect(client.workflow.getHandle(id).result()).rejects.toThrow();
    } finally {
      await connection.close();
    }
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      const ui = `http://127.0.0.1:${config.ports.temporalUi}/namespaces/${config.temporalNamespace}/workflows`;
      await page.goto(ui);
      await page.getByText(id).first().waitFor({ timeout: 60_000 });
      await page.goto(`${ui}/${encodeURIComponent(id)}`);
      await page.getByText(/input\.vods must be an array/).first().waitFor({ timeout: 60_000 });
      const dir = process.env.DOUGPT_UPDATE_DOCS === '1' ? join(REPO_ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'dougpt-ui-shot-'));
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'temporal-ui.png') });
      expect(statSync(join(dir, 'temporal-ui.png')).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
