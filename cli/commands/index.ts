import type { Command } from 'commander';
import { registerStackCommands } from './stack.ts';
import { registerWorkerCommand } from './worker.ts';
import { registerSqlCommand } from './sql.ts';
import { registerIngestCommand } from './ingest.ts';
import { registerDemoCommand } from './demo.ts';
import { registerSampleCommand } from './sample.ts';
import { registerTranscribeCommand } from './transcribe.ts';
import { registerChatCommand } from './chat.ts';
import { registerAlignCommand } from './align.ts';
import { registerQaCommand } from './qa.ts';
import { registerJudgeCommand } from './judge.ts';
import { registerReplyCommand } from './reply.ts';
import { registerServeCommand } from './serve.ts';
import { registerMcpCommand } from './mcp.ts';
import { registerEvalCommand } from './eval.ts';
import { registerDatasetCommand } from './dataset.ts';
import { registerPromoteCommands } from './promote.ts';
import { registerInferenceLogCommand } from './inference-log.ts';
import { registerTrainCommand } from './train.ts';
import { registerSimulateCommands } from './simulate.ts';
import { registerExportCommand } from './export.ts';
import { registerReplayCommand } from './replay.ts';

/** Every top-level command, each in its own file under cli/commands/. */
export function registerCommands(program: Command): void {
  registerStackCommands(program);
  registerWorkerCommand(program);
  registerSqlCommand(program);
  registerIngestCommand(program);
  registerDemoCommand(program);
  registerSampleCommand(program);
  registerTranscribeCommand(program);
  registerChatCommand(program);
  registerAlignCommand(program);
  registerQaCommand(program);
  registerJudgeCommand(program);
  registerReplyCommand(program);
  registerServeCommand(program);
  registerMcpCommand(program);
  registerEvalCommand(program);
  registerDatasetCommand(program);
  registerPromoteCommands(program);
  registerInferenceLogCommand(program);
  registerTrainCommand(program);
  registerSimulateCommands(program);
  registerExportCommand(program);
  registerReplayCommand(program);
}
