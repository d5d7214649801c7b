import type { ChatTemplate } from '../prompt/chat-templates.ts';
import type { LoadedPromptSpec } from '../prompt/prompt-spec.ts';
import { AdapterError } from './adapter-source.ts';
import type { BaseModelRef } from './llama-engine.ts';
import type { AdapterRef, TrainedPromptSpec } from './reply-engine.ts';

/** What the server runs an adapter with: its base model and the prompt spec it renders. */
export interface ServedSetup {
  base: BaseModelRef;
  spec: LoadedPromptSpec;
}

const short = (sha: string | undefined) => (sha ? ` (sha256 ${sha.slice(0, 12)}…)` : '');

/**
 * Whether a training run's prompt spec is the one the server renders: the same bytes (sha256) when
 * the run recorded them, else the same version. Unrecorded (an older run, a bare GGUF) counts as
 * the same: `promptSpecNotice` says so.
 */
export function samePromptSpec(trained: TrainedPromptSpec | undefined | null, served: LoadedPromptSpec): boolean {
  if (trained?.sha256) return trained.sha256 === served.sha256;
  if (trained?.version) return trained.version === served.spec.version;
  return true;
}

/**
 * Throws an AdapterError (one line) when the adapter cannot be served as it was trained: another
 * prompt spec than the server renders (the model would see a prompt it never saw), or another base.
 * The prompt spec is checked first: it needs no model on disk.
 *
 * @example
 * checkAdapter(resolveAdapter('runs/abc'), { base, spec: loadPromptSpec() });
 * // AdapterError: runs/abc/adapter.gguf: trained with prompt spec dougpt-chat/1 (sha256 …), but the server renders prompt spec dougpt-chat/2 (sha256 …) …
 */
export function checkAdapter(adapter: AdapterRef | null, served: ServedSetup): void {
  checkAdapterPromptSpec(adapter, served.spec);
  checkAdapterBase(adapter, served.base);
}

export function checkAdapterPromptSpec(adapter: AdapterRef | null, spec: LoadedPromptSpec): void {
  const trained = adapter?.prompt_spec;
  if (!adapter || samePromptSpec(trained, spec)) return;
  throw new AdapterError(
    `${adapter.gguf}: trained with prompt spec ${trained?.version ?? '(unnamed)'}${short(trained?.sha256)}, but the server renders prompt spec ${spec.spec.version}${short(spec.sha256)}: serve it from the checkout it was trained with, or train again on a dataset built with ${spec.spec.version}`,
  );
}

export function checkAdapterBase(adapter: AdapterRef | null, base: BaseModelRef): void {
  if (!adapter?.base) return;
  const { name, sha256 } = adapter.base;
  if ((sha256 && base.sha256 && sha256 !== base.sha256) || (!sha256 && name && name !== base.name)) {
    throw new AdapterError(`${adapter.gguf}: trained on base ${name ?? sha256}, but the server runs ${base.name}`);
  }
}

/**
 * Throws an AdapterError when the adapter was trained in another chat template family than the server's base
 * renders (a run that recorded none was trained before families were recorded: ChatML, the only one then).
 */
export function checkAdapterTemplate(adapter: AdapterRef | null, template: ChatTemplate): void {
  if (!adapter) return;
  const trained = adapter.chat_template ?? 'chatml';
  if (trained === template.family) return;
  throw new AdapterError(`${adapter.gguf}: trained in chat template ${trained}, but the server's base renders chat template ${template.family}: serve it on the base it was trained on`);
}

/** A one-line notice when the adapter's run recorded no prompt spec (it is then served with the server's); else null. */
export function promptSpecNotice(adapter: AdapterRef | null, spec: LoadedPromptSpec): string | null {
  if (!adapter || adapter.prompt_spec?.sha256 || adapter.prompt_spec?.version) return null;
  return `${adapter.gguf}: its run.json names no prompt spec: served with ${spec.spec.version}${short(spec.sha256)}, unchecked`;
}
