import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectPython } from '../../functions/reply/base-model.ts';

// A LoRA in the exact format training exports (PEFT → llama.cpp's convert_lora_to_gguf.py), with
// random non-zero B matrices so that it visibly changes the replies.
const MAKE_LORA = `
import json, os, subprocess, sys
import torch
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model
hf_dir, out_dir, convert_dir, run_id = sys.argv[1:5]
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
peft = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.0))
with torch.no_grad():
    for name, p in peft.named_parameters():
        if "lora_B" in name:
            p.normal_(0.0, 0.5)
peft.save_pretrained(os.path.join(out_dir, "adapter"))
env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(convert_dir, "gguf-py"), convert_dir]))
subprocess.run([sys.executable, os.path.join(convert_dir, "convert_lora_to_gguf.py"), "--base", hf_dir, "--outfile", os.path.join(out_dir, "adapter.gguf"), os.path.join(out_dir, "adapter")], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
json.dump({"run_id": run_id, "base": {"name": "smollm2-135m"}}, open(os.path.join(out_dir, "run.json"), "w"))
`;

/**
 * Makes a training run folder (`adapter/`, `adapter.gguf`, `run.json`) at `dir` holding a LoRA of the
 * embedded base. Anything missing or failing (the converter, the base folder, the conversion itself)
 * throws, naming it: only a missing GPU may skip a test.
 */
export async function makeLoraRun(dir: string, runId: string): Promise<{ dir: string }> {
  const cache = process.env.DOUGPT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dougpt');
  const convert = join(cache, 'llama-cpp-convert', '0.3.36');
  if (!existsSync(join(convert, 'convert_lora_to_gguf.py'))) throw new Error(`no llama.cpp converter in ${convert} (run \`make setup\`)`);
  const listed = await execa(projectPython(), ['-m', 'dougpt_gpu', 'models', '--json', '--prepare'], { reject: false, env: { PYTHONPATH: 'gpu-runner/src' } });
  const hfDir = listed.exitCode === 0 ? (JSON.parse(listed.stdout) as { name: string; hf_dir: string }[]).find((m) => m.name === 'smollm2-135m')?.hf_dir : undefined;
  if (!hfDir || !existsSync(join(hfDir, 'config.json'))) throw new Error(`no safetensors folder of the base (models --prepare: ${listed.stderr.split('\n').at(-2) ?? listed.exitCode})`);
  const made = await execa(projectPython(), ['-c', MAKE_LORA, hfDir, dir, convert, runId], { reject: false });
  if (made.exitCode !== 0) throw new Error(`could not make a LoRA GGUF (convert_lora_to_gguf.py): ${made.stderr.trim().split('\n').at(-1)}`);
  return { dir };
}
