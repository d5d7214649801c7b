import type { Command } from 'commander';
import { loadConfig as loadStackConfig } from '../../infra/config.ts';
import { registrySourceDescription } from '../../infra/registry-adapter-source.ts';
import { DEFAULT_PORT, DEFAULT_RATE_LIMIT, isLoopback, ServeError, startReplyServer } from '../../web/serve/serve-server.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';
import { addModelOptions, intFlag, numberFlag, openStackFromFlags, type ModelFlags } from './reply.ts';
import { untilInterrupted } from '../serving.ts';

interface ServeFlags extends ModelFlags {
  host: string;
  port: string;
  token?: string;
  rateLimit: string;
  paritySample: string;
  parallel: string;
  json?: boolean;
}

async function startLogFlusher(log: (line: string) => void): Promise<{ stop(): Promise<void> }> {
  const [{ join }, { loadConfig }, { lakeDeps }, { flushInferenceLog }] = await Promise.all([
    import('node:path'),
    import('../../infra/config.ts'),
    import('../../infra/worker.ts'),
    import('../../functions/inference/flush-inference-log.ts'),
  ]);
  const config = loadConfig();
  const flush = () =>
    flushInferenceLog(join(config.paths.home, 'inference-log'), lakeDeps(config)).catch((error: unknown) => {
      log(`inference log kept locally (lake unreachable: ${(error as Error).message.split('\n')[0]})`);
    });
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => (running = running.then(flush)), 30_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await flush();
    },
  };
}

/** `dougpt serve`: the OpenAI-compatible local reply server. */
export function registerServeCommand(program: Command): void {
  addModelOptions(
    program
      .command('serve')
      .description('OpenAI-compatible local reply server: POST /v1/chat/completions, POST /v1/reply, GET /v1/models, /healthz, /metrics')
      .option('--host <addr>', 'address to listen on (not loopback: needs --token)', '127.0.0.1')
      .option('--port <n>', 'port (0: any free port)', String(DEFAULT_PORT))
      .option('--token <t>', 'clients must send Authorization: Bearer <t> (default: $DOUGPT_SERVE_TOKEN)')
      .option('--rate-limit <n>', 'requests per second per client (0: off)', String(DEFAULT_RATE_LIMIT))
      .option('--parity-sample <f>', 'fraction of requests whose prompt is re-rendered by the parity check', '0.1')
      .option('--parallel <n>', 'replies generated at once (more wait their turn)', '4'),
  )
    .option('--json', 'print {"url": …} on stdout once listening')
    .action(async (flags: ServeFlags) => {
      const port = intFlag('--port', flags.port, 0, 65_535);
      const rateLimit = numberFlag('--rate-limit', flags.rateLimit, 0, 100_000);
      const paritySample = numberFlag('--parity-sample', flags.paritySample, 0, 1);
      const parallel = intFlag('--parallel', flags.parallel, 1, 64);
      const token = flags.token ?? process.env.DOUGPT_SERVE_TOKEN;
      if (!isLoopback(flags.host) && !token) throw new UserError(`--host ${flags.host} is not a loopback address: pass --token (clients then send Authorization: Bearer <token>)`, 2);
      const log = (line: string) => process.stderr.write(`serve: ${line}\n`);
      const stack = await openStackFromFlags(flags, { watchPromoted: true, paritySample, parallel, notice: log });
      const server = await startReplyServer({ service: stack.service, metrics: stack.metrics }, { host: flags.host, port, token, rateLimit }).catch(async (error: unknown) => {
        await stack.close();
        if (error instanceof ServeError) throw new UserError(error.message, 2);
        const code = (error as { code?: string } | null)?.code;
        if (code === 'EADDRINUSE') throw new UserError(`--port ${port}: already in use on ${flags.host} (pass --port 0 for any free port)`, 2);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host ${flags.host}: not an address of this machine`, 2);
        throw error;
      });
      const adapter = stack.engine.adapter;
      if (flags.json) printJson({ url: server.url, adapter, prompt_spec: { version: stack.service.spec.spec.version, sha256: stack.service.spec.sha256 } });
      else process.stdout.write(`${server.url}\n`);
      log(`serving ${adapter.run_id ? `adapter ${adapter.run_id}` : `the base model ${adapter.base.name}`} on ${server.url}${token ? ' (bearer token required)' : ''}; adapter source ${stack.adapterSource.describe}; Ctrl-C to stop`);
      // With the stack up, the buffered inference log moves into gold.inference_log every 30 s (and at exit);
      // a failed flush keeps the buffer for the next one.
      const flusher = stack.adapterSource.describe === registrySourceDescription(loadStackConfig()) ? await startLogFlusher(log) : null;
      await untilInterrupted();
      await stack.log.flush();
      await flusher?.stop();
      await server.close();
      await stack.close();
    });
}
