import type { Command } from 'commander';
import { registerStackCommands } from './stack.ts';

/** Every top-level command, each in its own file under cli/commands/. */
export function registerCommands(program: Command): void {
  registerStackCommands(program);
}
