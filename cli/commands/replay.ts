import { join } from 'node:path';
import type { Command } from 'commander';
import { AlignInputError } from '../../functions/align/align-chat.ts';
import { ChatFormatError } from '../../functions/chat/normalize-chat.ts';
import { loadReplayFiles, ReplayInputError } from '../../web/replay/load-replay-files.ts';
import type { ReplayData } from '../../web/replay/replay-data.ts';
import { startReplayServer } from '../../web/replay/replay-server.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';
import { openBrowser, untilInterrupted } from '../serving.ts';
import { intFlag } from './reply.ts';

interface ReplayFlags {
  generated?: string;
  simulation?: string;
  media?: string;
  chat?: string;
  transcript?: string;
  vodId?: string;
  vodStart?: string;
  audio?: boolean;
  port: string;
  host: string;
  open?: boolean;
  json?: boolean;
}

/** The lake's replay of a VOD: its manifest, chat, alignment and media (fetched once into the state directory). */
async function loadFromLake(vodId: string, flags: ReplayFlags, say: (line: string) => void): Promise<ReplayData> {
  const [{ loadConfig }, { openLake }, { createObjectStore, ObjectStoreError }, { CatalogError }, { loadReplayLake }] = await Promise.all([
    import('../../infra/config.ts'),
    import('../../catalog/lake.ts'),
    import('../../catalog/object-store.ts'),
    import('../../catalog/catalog-error.ts'),
    import('../../web/replay/load-replay-lake.ts'),
  ]);
  const config = loadConfig();
  say(`replay: loading ${vodId} from the lake (the ${flags.audio ? 'audio' : 'video'} is fetched once into ${join(config.paths.home, 'replay-cache')}) …`);
  try {
    const lake = await openLake(config, { readOnly: true });
    try {
      const generated = flags.generated ? { file: flags.generated } : flags.simulation ? { simulation: flags.simulation } : undefined;
      return await loadReplayLake(
        { vod_id: vodId, ...(generated ? { generated } : {}), audioOnly: flags.audio ?? false },
        { lake, store: createObjectStore(config), cacheDir: join(config.paths.home, 'replay-cache', vodId.replace(/[^A-Za-z0-9._-]/g, '_')) },
      );
    } finally {
      lake.close();
    }
  } catch (error) {
    const unreachable = (error instanceof CatalogError || error instanceof ObjectStoreError) && error.kind === 'unreachable';
    if (unreachable) throw new UserError(`${(error as Error).message} (is the stack up? run \`dougpt up\`)`);
    throw error;
  }
}

/** `dougpt replay <vod_id>` or `dougpt replay --media … --chat … --generated …`: real and generated chat side by side over the VOD. */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('play a VOD with its real chat and generated chat side by side, in sync; the estimated chat lag is marked')
    .argument('[vod_id]', 'a VOD in the lake (omit with --media: files, no server)')
    .option('--generated <file>', 'generated chat: any chat file (dougpt simulate output, TwitchDownloader JSON, …)')
    .option('--simulation <sim_id>', 'generated chat of a dougpt simulate run in the lake (gold/simulations/<sim_id>/chat.json)')
    .option('--audio', 'play the VOD\'s audio (silver FLAC) instead of its video: a smaller download')
    .option('--media <file>', 'files mode: the VOD\'s video or audio')
    .option('--chat <file>', 'files mode: the real chat (any format dougpt chat normalize reads)')
    .option('--transcript <file>', 'files mode: a transcript (any format dougpt align reads); the chat lag is estimated from it')
    .option('--vod-id <id>', 'files mode: VOD id, for chat formats without one')
    .option('--vod-start <iso>', 'files mode: VOD start, for chat logs with wall-clock times only')
    .option('--port <n>', 'port to serve on (0: any free port)', '0')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--open', 'open the page in a browser')
    .option('--json', 'print {"url": …} and counts on stdout')
    .action(async (vodId: string | undefined, flags: ReplayFlags) => {
      const port = intFlag('--port', flags.port, 0, 65_535);
      if (flags.generated && flags.simulation) throw new UserError('--generated and --simulation: give one of them', 2);
      const filesMode = flags.media !== undefined;
      if (filesMode === (vodId !== undefined)) throw new UserError('give a <vod_id> (the lake) or --media with --chat and --generated (files), not both', 2);
      if (filesMode && (!flags.chat || !flags.generated)) throw new UserError('--media needs --chat (real chat) and --generated (generated chat)', 2);
      if (filesMode && flags.simulation) throw new UserError('--simulation reads the lake: give a <vod_id>, or --generated FILE with --media', 2);
      if (!filesMode && (flags.chat || flags.transcript)) throw new UserError('--chat and --transcript are for files mode (--media); a <vod_id> takes them from the lake', 2);
      const say = (line: string) => !flags.json && process.stderr.write(`${line}\n`);

      let data: ReplayData;
      try {
        data = filesMode
          ? await loadReplayFiles({
              media: flags.media as string,
              chat: flags.chat as string,
              generated: flags.generated as string,
              ...(flags.transcript ? { transcript: flags.transcript } : {}),
              ...(flags.vodId ? { vodId: flags.vodId } : {}),
              ...(flags.vodStart ? { vodStart: flags.vodStart } : {}),
            })
          : await loadFromLake(vodId as string, flags, say);
      } catch (error) {
        if (error instanceof ReplayInputError || error instanceof ChatFormatError || error instanceof AlignInputError) throw new UserError(error.message, 2);
        throw error;
      }
      const replay = await startReplayServer(data, { host: flags.host, port }).catch((error: unknown) => {
        const code = (error as { code?: string } | null)?.code;
        if (code === 'EADDRINUSE') throw new UserError(`--port ${port}: already in use on ${flags.host} (pass --port 0 for any free port)`, 2);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host ${flags.host}: not an address of this machine`, 2);
        throw error;
      });
      const [real, generated] = data.columns;
      const lags = [...new Set(data.lag.map((l) => (l.lag_ms / 1000).toFixed(1)))];
      if (flags.json) printJson({ url: replay.url, vod_id: data.vod_id, media: data.media.kind, real: real.messages.length, generated: generated.messages.length, lag_ms: data.lag.map((l) => l.lag_ms), align: data.align });
      else {
        process.stdout.write(`${replay.url}\n`);
        say(`replay: ${data.vod_id} (${data.media.kind}), ${real.messages.length} real and ${generated.messages.length} generated messages; chat lag ${lags.length ? `${lags.join(', ')} s` : 'unknown'}; Ctrl-C to stop`);
      }
      if (flags.open) await openBrowser(replay.url, 'replay');
      await untilInterrupted();
      await replay.close();
    });
}
