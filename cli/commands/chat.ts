import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { ChatFormatError, normalizeChat, NormalizeChatFormat, type NormalizeChatOutput } from '../../functions/chat/normalize-chat.ts';
import { readNameList } from '../../functions/chat/read-name-list.ts';
import { UserError } from '../errors.ts';

interface NormalizeOptions {
  format: NormalizeChatFormat;
  vodId?: string;
  vodStart?: string;
  out: string;
  rejects?: string;
  bots?: string;
  emotes?: string;
  json?: boolean;
}

function list(value: string | undefined): string[] | undefined {
  return value ? value.split(',').map((v) => v.trim()).filter((v) => v.length > 0) : undefined;
}

function describe(result: NormalizeChatOutput): string {
  const reasons = Object.entries(result.reasons).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');
  const warnings = Object.entries(result.warnings).map(([w, n]) => `${w} ${n}`).join(', ');
  return `${result.format} chat of VOD ${result.vodId}: ${result.accepted} messages, ${result.rejected} rejected` +
    `${reasons ? ` (${reasons})` : ''}; offsets from ${result.offsetSource} → ${result.out}` +
    `${result.rejectsOut ? `, rejects → ${result.rejectsOut}` : ''}\n` +
    `${warnings ? `warning: ${warnings} (of ${result.accepted + result.duplicates} messages)\n` : ''}`;
}

/** `dougpt chat normalize <file>`: any common Twitch chat format → canonical ChatMessage rows. */
export function registerChatCommand(program: Command): void {
  const chat = program.command('chat').description('chat log tools');
  chat
    .command('normalize')
    .description('normalize a chat log (TwitchDownloader, v5/rechat, chat-downloader, IRC, text) into ChatMessage rows')
    .argument('<file>', 'chat file (.json, .json.gz, .irc, .txt, …)')
    .addOption(new Option('--format <format>', 'input format').choices(NormalizeChatFormat.options).default('auto'))
    .option('--vod-id <id>', 'VOD id (default: from the file; required for IRC, text and chat-downloader)')
    .option('--vod-start <iso>', 'VOD start time, ISO-8601 (required for wall-clock formats: IRC, dated text logs)')
    .requiredOption('--out <file>', 'output: .jsonl, .parquet, or - for JSONL on stdout')
    .option('--rejects <file>', 'rejected records (.jsonl or .parquet; default: <out>.rejects.<ext> beside --out)')
    .option('--bots <names>', 'comma-separated bot logins to flag besides the built-in list')
    .option('--emotes <file>', 'third-party (BTTV/FFZ/7TV) emote names, one per line, besides the built-in list')
    .option('--json', 'print a JSON summary on stdout (on stderr when --out is -)')
    .action(async (file: string, options: NormalizeOptions) => {
      const showProgress = Boolean(process.stderr.isTTY) && !options.json && options.out !== '-';
      const bar = showProgress
        ? new cliProgress.SingleBar({ format: 'normalize |{bar}| {percentage}% {value}/{total} MiB', stream: process.stderr }, cliProgress.Presets.shades_classic)
        : null;
      let started = false;
      let result: NormalizeChatOutput;
      try {
        result = await normalizeChat(
          {
            input: file,
            format: options.format,
            vodId: options.vodId,
            vodStart: options.vodStart,
            out: options.out,
            rejectsOut: options.rejects,
            botNames: list(options.bots),
            emoteNames: options.emotes ? await readNameList(options.emotes) : undefined,
          },
          {
            onProgress: (done, total) => {
              if (!bar || total === undefined) return;
              const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
              if (!started) {
                bar.start(mib(total), 0);
                started = true;
              }
              bar.update(mib(done));
            },
          },
        );
      } catch (error) {
        if (error instanceof ChatFormatError) throw new UserError(error.message, 2);
        if (error instanceof z.ZodError) throw new UserError(error.issues.map((i) => i.message).join('; '), 2);
        throw error;
      } finally {
        if (started) bar?.stop();
      }
      const summary = {
        accepted: result.accepted,
        rejected: result.rejected,
        reasons: result.reasons,
        format: result.format,
        offset_source: result.offsetSource,
        vod_id: result.vodId,
        records: result.records,
        duplicates: result.duplicates,
        clock_shift_ms: result.clockShiftMs,
        warnings: result.warnings,
        out: result.out,
        rejects_out: result.rejectsOut,
        sha256: result.sha256,
      };
      const sink = options.out === '-' ? process.stderr : process.stdout;
      if (options.json) sink.write(`${JSON.stringify(summary)}\n`);
      else sink.write(describe(result));
    });
}
