import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';

interface Flags {
  note?: string;
  force?: boolean;
  who?: string;
  json?: boolean;
}

/**
 * Sends a signal to the adapter registry and waits until it has decided (its decision counter moves),
 * then prints the decision and the adapter now promoted.
 */
async function signalRegistry(kind: 'promote' | 'rollback', payload: Record<string, unknown>, json: boolean | undefined): Promise<void> {
  const [{ loadConfig }, { connectTemporal }, { ADAPTER_REGISTRY_ID }] = await Promise.all([
    import('../../infra/config.ts'),
    import('../../infra/temporal-client.ts'),
    import('../../workflows/names.ts'),
  ]);
  const config = loadConfig();
  const { client, connection } = await connectTemporal(config).catch((error: unknown) => {
    throw new UserError(`Temporal is unreachable at ${config.temporalAddress} (${(error as Error).message}); run \`dougpt up\``);
  });
  try {
    type State = import('../../workflows/adapter-registry.ts').AdapterRegistryState;
    const handle = client.workflow.getHandle(ADAPTER_REGISTRY_ID);
    const before = await handle.query<State>('state').catch(() => {
      throw new UserError('the adapter registry (workflow id `adapters`) is not running: run `dougpt up`');
    });
    await handle.signal(kind, payload);
    const deadline = Date.now() + 120_000;
    let after = before;
    while (after.decisions <= before.decisions && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      after = await handle.query<State>('state');
    }
    if (after.decisions <= before.decisions) throw new UserError(`the registry has not decided on the ${kind} within 2 minutes (is the dougpt worker running?)`);
    const decision = after.last;
    if (json) printJson({ decision, current: after.current });
    else {
      process.stdout.write(
        decision?.action === 'refused'
          ? `refused: ${decision.reason}\n`
          : `${decision?.action}: now promoted ${after.current ? `${after.current.run_id}${after.current.forced ? ' (forced)' : ''}` : 'nothing (base model)'}\n`,
      );
    }
    if (decision?.action === 'refused') process.exitCode = 3;
  } finally {
    await connection.close();
  }
}

/** `dougpt promote RUN_ID` / `dougpt rollback` / `dougpt promoted`: the adapter registry's signals and query. */
export function registerPromoteCommands(program: Command): void {
  program
    .command('promote')
    .description('promote a trained adapter (signal `promote` to the `adapters` workflow); refused when its gates failed unless --force')
    .argument('<run_id>', 'training run id (gold.training_runs)')
    .option('--note <text>', 'why, recorded in gold.promotions')
    .option('--force', 'promote even though its gates failed or it was not evaluated (recorded as forced)')
    .option('--who <name>', 'who decided (default: $USER)')
    .option('--json', 'print the decision and the promoted adapter as JSON')
    .action(async (runId: string, flags: Flags) => {
      if (!/^[0-9a-f]{8,64}$/.test(runId)) throw new UserError(`not a run id: ${runId}`, 2);
      await signalRegistry('promote', { run_id: runId, note: flags.note, force: flags.force === true, who: flags.who ?? process.env.USER ?? 'cli' }, flags.json);
    });
  program
    .command('rollback')
    .description('return to the previously promoted adapter (signal `rollback` to the `adapters` workflow)')
    .option('--note <text>', 'why, recorded in gold.promotions')
    .option('--who <name>', 'who decided (default: $USER)')
    .option('--json', 'print the decision and the promoted adapter as JSON')
    .action(async (flags: Flags) => {
      await signalRegistry('rollback', { note: flags.note, who: flags.who ?? process.env.USER ?? 'cli' }, flags.json);
    });
  program
    .command('promoted')
    .description('the adapter promoted now (query `current` of the `adapters` workflow)')
    .option('--json', 'print it as JSON')
    .action(async (flags: { json?: boolean }) => {
      const [{ loadConfig }, { queryPromotedAdapter }] = await Promise.all([import('../../infra/config.ts'), import('../../infra/adapter-registry.ts')]);
      const current = await queryPromotedAdapter(loadConfig()).catch((error: unknown) => {
        throw new UserError(`cannot query the adapter registry: ${(error as Error).message.split('\n')[0]}; run \`dougpt up\``);
      });
      if (flags.json) return printJson(current);
      process.stdout.write(current ? `${current.run_id} (promoted ${current.promoted_at}${current.forced ? ', forced' : ''})\n` : 'nothing promoted: replies use the base model\n');
    });
}
