import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { ChatMessageTurn } from '../../../functions/prompt/prompt-spec.ts';

const GO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ollama-template');

/** Whether `go` runs here (the template renderer needs it). */
export const hasGo = (await execa('go', ['version'], { reject: false }).catch(() => null))?.exitCode === 0;

/**
 * Renders each conversation through a Modelfile's TEMPLATE with Go's text/template, as Ollama
 * does (ollama-template/main.go). GOFLAGS, GOCACHE and the rest come from the environment.
 */
export async function renderWithGo(modelfile: string, conversations: ChatMessageTurn[][]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dougpt-modelfile-'));
  const path = join(dir, 'Modelfile');
  writeFileSync(path, modelfile);
  const { stdout } = await execa('go', ['run', 'main.go', path], { cwd: GO_DIR, input: JSON.stringify(conversations) });
  return JSON.parse(stdout) as string[];
}
