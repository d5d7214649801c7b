import type { Command } from 'commander';

/** Every top-level command, each in its own file under cli/commands/. */
export function registerCommands(program: Command): void {
  void program;
}
