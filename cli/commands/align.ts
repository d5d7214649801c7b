import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ChatFormatError } from '../../functions/chat/normalize-chat.ts';
import { alignChat, AlignInputError } from '../../functions/align/align-chat.ts';
import { UserError } from '../errors.ts';

interface AlignFlags {
  transcript: string;
  chat: string;
  vodId?: string;
  vodStart?: string;
  contextS?: string;
  out: string;
  json?: boolean;
}

const STAGES = ['read', 'align', 'write'] as const;

/** `dougpt align --transcript T --chat CHAT --out OUT.json`: chat lag per VOD, context → message pairs. T may be any transcript or caption file. */
export function registerAlignCommand(program: Command): void {
  program
    .command('align')
    .description('estimate the chat lag and pair each chat message with the speech it reacts to')
    .requiredOption('--transcript <file>', 'transcript: dougpt transcribe JSON, a word list in ms, WhisperX/Whisper JSON, WebVTT, json3 or SRT')
    .requiredOption('--chat <file>', 'normalised chat JSONL, or any chat file dougpt chat normalize reads')
    .option('--vod-id <id>', 'VOD id (default: from the chat)')
    .option('--vod-start <iso>', 'VOD start time, for chat logs with wall-clock times only')
    .option('--context-s <seconds>', 'seconds of speech before the moment reacted to, at most 30 (default 20)')
    .requiredOption('--out <file.json>', 'output JSON: offsets, pairs, rejects, stats')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (flags: AlignFlags) => {
      let contextMs: number | undefined;
      if (flags.contextS !== undefined) {
        const s = Number(flags.contextS);
        if (!Number.isFinite(s) || s < 1 || s > 30) throw new UserError(`--context-s: not a number of seconds in 1..30: ${flags.contextS}`, 2);
        contextMs = Math.round(s * 1000);
      }
      const showProgress = process.stderr.isTTY && !flags.json;
      const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'align [{bar}] {stage}' }, cliProgress.Presets.shades_classic);
      if (showProgress) bar.start(STAGES.length, 0, { stage: 'read' });
      try {
        const result = await alignChat(
          {
            transcript: flags.transcript,
            chat: flags.chat,
            out: flags.out,
            ...(flags.vodId ? { vodId: flags.vodId } : {}),
            ...(flags.vodStart ? { vodStart: flags.vodStart } : {}),
            ...(contextMs !== undefined ? { contextMs } : {}),
          },
          { onStage: (stage) => showProgress && bar.update(STAGES.indexOf(stage as (typeof STAGES)[number]), { stage }) },
        );
        if (showProgress) {
          bar.update(STAGES.length, { stage: 'done' });
          bar.stop();
        }
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        const lags = result.offsets.map((o) => `${(o.lag_ms / 1000).toFixed(1)} s from ${(o.from_ms / 1000).toFixed(0)} s (${o.method}, confidence ${o.confidence}${o.reason ? `, ${o.reason}` : ''})`);
        process.stderr.write(
          `${result.out}: ${result.pairs} pairs (tier 2: ${result.tiers[2]}, 1: ${result.tiers[1]}, 0: ${result.tiers[0]}), ` +
            `${result.rejects} rejects, of ${result.messages} messages (transcript read as ${result.transcriptFormat})\nchat lag: ${lags.join('; ')}\n`,
        );
      } catch (error) {
        if (showProgress) bar.stop();
        if (error instanceof AlignInputError || error instanceof ChatFormatError) throw new UserError(error.message, 2);
        throw error;
      }
    });
}
