import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';
import { exitWithError } from './errors.ts';

const program = new Command();
program
  .name('dougpt')
  .description("Turn a streamer's VODs and Twitch chat into a local model that talks like that chat.")
  .showHelpAfterError('(run with --help for usage)');

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  exitWithError(error);
}
