import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.ts';
import type { IngestBatchInput } from '../../workflows/ingest-batch.ts';
import { printJson } from '../output.ts';
import { runIngestBatch } from '../run-ingest-batch.ts';

interface IngestOptions {
  vod: string;
  chat: string;
  vodId?: string;
  vodStart?: string;
  captions?: string;
  wait?: boolean;
  json?: boolean;
}

/** Local paths become absolute, so the worker (another process, maybe another cwd) finds them. */
const absolute = (value: string): string => (/^[a-z][a-z0-9+.-]*:/i.test(value) ? value : resolve(value));

/** `dougpt ingest --vod … --chat … [--wait]`: starts the ingestBatch workflow for one VOD. */
export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('ingest a VOD and its chat into the lake (starts the ingestBatch workflow)')
    .requiredOption('--vod <path|url|twitch:id>', 'the recording: a path, file:// or http(s) URL, or twitch:<id>')
    .requiredOption('--chat <path|url>', 'the chat log (TwitchDownloader JSON, IRC, …)')
    .option('--vod-id <id>', 'id for the VOD (default: the Twitch id, else vod-<fingerprint of the recording\'s content>)')
    .option('--vod-start <iso>', 'when the VOD started (for wall-clock chat formats)')
    .option('--captions <path|url>', 'use these captions (WebVTT, SRT, json3, Whisper JSON) instead of speech recognition')
    .option('--wait', 'wait for the workflow and print its result')
    .option('--json', 'print JSON')
    .action(async (options: IngestOptions) => {
      const input: IngestBatchInput = {
        vods: [
          {
            video: absolute(options.vod),
            chat: absolute(options.chat),
            ...(options.vodId ? { vod_id: options.vodId } : {}),
            ...(options.vodStart ? { vod_start: options.vodStart } : {}),
            ...(options.captions ? { captions: absolute(options.captions) } : {}),
          },
        ],
      };
      if (!options.wait) process.stderr.write('starting ingestBatch …\n');
      const { workflow_id, run_id, result } = await runIngestBatch(loadConfig(), input, { wait: Boolean(options.wait) });
      if (options.json) printJson(options.wait ? { workflow_id, run_id, ...result } : { workflow_id, run_id });
      else if (!options.wait) process.stdout.write(`started ${workflow_id} (follow it in the Temporal UI)\n`);
      else {
        for (const ok of result.succeeded) {
          process.stdout.write(`ok    ${ok.vod_id}: ${ok.chat_messages} messages, ${ok.chat_rejects} rejects, ${Math.round(ok.duration_ms / 1000)} s of media\n`);
        }
        for (const bad of result.failed) process.stdout.write(`fail  ${bad.vod_id ?? bad.video}: ${bad.error}\n`);
      }
      if ((result.totals?.failed ?? result.failed.length) > 0) process.exitCode = 1;
    });
}
