"""What a GGUF change does to the model's quality, measured in transformers on the weights the GGUF holds.

    PYTHONPATH=gpu-runner/src .venv/bin/python tests/bench/gguf_quality.py requant [--types q4_0,q8_0] [--dataset DIR] [--split all]
    PYTHONPATH=gpu-runner/src .venv/bin/python tests/bench/gguf_quality.py merge [--run RUN_DIR] [--dataset DIR] [--prompts 3]

`requant`: the shipped SmolLM2-135M Q4_1 requantised to each `--types` (every Q4_1 tensor dequantised, then
quantised again with gguf-py; other tensors and all metadata copied), and the reply perplexity of each model on
the chat replies of a dataset's splits (all by default; the base never trained on them) (the eval job's definition: exp of the mean negative log-likelihood of
the reply tokens and the end-of-turn token, after the prompt the train job renders), the shipped Q4_1 measured
in the same run.

`merge`: a GGUF LoRA folded into the base (`python -m dougpt_gpu models --merge-lora`, Q8_0 adapted weights)
against the PEFT adapter on the Hugging Face base, at every position of `--prompts` chat-shaped prompts (prompt
and reply of the first test rows): next-token top-1 agreement and the mean KL(PEFT ‖ merged) in nats; the base
alone against the PEFT adapter as the reference. Without `--run`, a LoRA is made as the integration tests make
it (r 8, alpha 16 on q/v, B ~ N(0, 0.5), seed 0) and converted by llama.cpp's convert_lora_to_gguf.py.

`--dataset` (a `dougpt dataset build` folder) defaults to one built from tests/fixtures/dataset. Prints the
figures on stderr and one JSON line on stdout. Loads models in fp32 on the CPU: a minute or two each.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CONVERT_VERSION = "0.3.36"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fixture_dataset(work: Path) -> Path:
    """A dataset built by the real `dougpt dataset build` from the committed alignment fixtures."""
    out = work / "dataset"
    pairs = sorted(str(p) for p in (REPO / "tests" / "fixtures" / "dataset").glob("*.json"))
    if not pairs:
        raise SystemExit("gguf_quality.py: no alignment fixtures under tests/fixtures/dataset")
    subprocess.run(["node", str(REPO / "bin" / "dougpt.js"), "dataset", "build", "--pairs", *pairs, "--out", str(out), "--json"],
                   check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    return out


def load_gguf(path: Path) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32).eval()
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    return model


def requantise(source: Path, target_type: str, out: Path) -> dict[str, Any]:
    """Every tensor of the source's main quantisation type, dequantised and quantised to `target_type`."""
    import numpy as np
    from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter, Keys, quants

    target = GGMLQuantizationType[target_type.upper()]
    model = GGUFReader(str(source))
    arch = model.fields[Keys.General.ARCHITECTURE].contents()
    writer = GGUFWriter(str(out), arch=arch, endianess=model.endianess)
    for field in model.fields.values():
        if field.name == Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        value_type = field.types[0]
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=field.types[-1] if value_type == GGUFValueType.ARRAY else None)
    changed, error, energy = 0, 0.0, 0.0
    for tensor in model.tensors:
        if tensor.tensor_type != GGMLQuantizationType.Q4_1:
            raw = tensor.tensor_type not in (GGMLQuantizationType.F32, GGMLQuantizationType.F16)
            writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type if raw else None)
            continue
        weight = quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        packed = quants.quantize(weight, target)
        back = quants.dequantize(packed, target).astype(np.float32)
        error += float(((back - weight) ** 2).sum())
        energy += float((weight ** 2).sum())
        writer.add_tensor(tensor.name, packed, raw_dtype=target)
        changed += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"tensors": changed, "relative_error_energy": error / energy if energy else None}


def reply_perplexity(model: Any, tokens: Any) -> float:
    """exp(mean NLL) over the reply and end-of-turn tokens of every row."""
    import torch

    nll, count = 0.0, 0
    with torch.no_grad():
        for ids, mask in zip(tokens.input_ids, tokens.completion_mask):
            logits = model(torch.tensor([ids])).logits[0, :-1]
            target = torch.tensor(ids[1:])
            keep = torch.tensor(mask[1:], dtype=torch.bool)
            losses = torch.nn.functional.cross_entropy(logits, target, reduction="none")
            nll += float(losses[keep].sum())
            count += int(keep.sum())
    return math.exp(nll / count)


def cmd_requant(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from transformers import AutoTokenizer

    from dougpt_gpu.models.registry import resolve_base
    from dougpt_gpu.train.data import read_sft, tokenize_rows

    base = resolve_base("smollm2-135m")
    if not base.gguf:
        raise SystemExit("gguf_quality.py: the embedded base has no GGUF (run `make setup`)")
    dataset = Path(args.dataset) if args.dataset else fixture_dataset(work)
    splits = ["train", "validation", "test"] if args.split == "all" else args.split.split(",")
    rows = [row for split in splits for row in read_sft(str(dataset), split)][: args.limit or None]
    tokens = tokenize_rows(AutoTokenizer.from_pretrained(base.hf_dir), rows, 512)
    log(f"requant: {len(tokens.input_ids)} rows of {dataset} ({args.split}), {sum(map(sum, tokens.completion_mask))} reply tokens")
    shipped = reply_perplexity(load_gguf(Path(base.gguf)), tokens)
    log(f"  shipped Q4_1: perplexity {shipped:.1f}")
    results: dict[str, Any] = {}
    for kind in args.types.split(","):
        path = work / f"base.{kind}.gguf"
        info = requantise(Path(base.gguf), kind, path)
        value = reply_perplexity(load_gguf(path), tokens)
        results[kind] = {"perplexity": round(value, 2), **info}
        log(f"  {kind.upper()} requantised: perplexity {value:.1f} (relative error energy {info['relative_error_energy']:.4%} against Q4_1)")
    return {"command": "requant", "dataset": str(dataset), "split": args.split, "rows": len(tokens.input_ids),
            "reply_tokens": sum(map(sum, tokens.completion_mask)), "q4_1_perplexity": round(shipped, 2), "requantised": results}


MAKE_LORA_SEED = 0


def make_lora(hf_dir: str, out: Path) -> Path:
    """A LoRA as tests/integration/lora-run.ts makes it: PEFT folder, then llama.cpp's converter."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    convert = Path(os.environ.get("DOUGPT_CACHE", Path.home() / ".cache" / "dougpt")) / "llama-cpp-convert" / CONVERT_VERSION
    if not (convert / "convert_lora_to_gguf.py").is_file():
        raise SystemExit(f"gguf_quality.py: no llama.cpp converter in {convert} (run `make setup`)")
    torch.manual_seed(MAKE_LORA_SEED)
    model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
    peft = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.0))
    with torch.no_grad():
        for name, p in peft.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.5)
    peft.save_pretrained(str(out / "adapter"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(convert / "gguf-py"), str(convert)])}
    subprocess.run([sys.executable, str(convert / "convert_lora_to_gguf.py"), "--base", hf_dir, "--outfile", str(out / "adapter.gguf"),
                    str(out / "adapter")], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return out


def cmd_merge(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from dougpt_gpu.models.merge_lora import merge_lora
    from dougpt_gpu.models.registry import resolve_base
    from dougpt_gpu.train.data import read_sft, tokenize_rows

    base = resolve_base("smollm2-135m")
    if not base.gguf:
        raise SystemExit("gguf_quality.py: the embedded base has no GGUF (run `make setup`)")
    run = Path(args.run) if args.run else make_lora(base.hf_dir, work / "run")
    merged_path = work / "merged.q8_0.gguf"
    merge_lora(Path(base.gguf), run / "adapter.gguf", merged_path, "q8_0")
    dataset = Path(args.dataset) if args.dataset else fixture_dataset(work)
    rows = read_sft(str(dataset), "test")[: args.prompts]
    tokens = tokenize_rows(AutoTokenizer.from_pretrained(base.hf_dir), rows, 512)
    plain = AutoModelForCausalLM.from_pretrained(base.hf_dir, dtype=torch.float32).eval()

    def logits_of(model: Any) -> list[Any]:
        with torch.no_grad():
            return [model(torch.tensor([ids])).logits[0] for ids in tokens.input_ids]

    base_logits = logits_of(plain)
    adapter_logits = logits_of(PeftModel.from_pretrained(plain, str(run / "adapter")).eval())
    merged_logits = logits_of(load_gguf(merged_path))

    def compare(reference: list[Any], other: list[Any]) -> dict[str, float]:
        agree, kl, positions = 0, 0.0, 0
        for p, q in zip(reference, other):
            agree += int((p.argmax(-1) == q.argmax(-1)).sum())
            logp, logq = torch.log_softmax(p, -1), torch.log_softmax(q, -1)
            kl += float((logp.exp() * (logp - logq)).sum())
            positions += p.shape[0]
        return {"top1_agreement": agree / positions, "kl_nats": kl / positions, "positions": positions}

    merged = compare(adapter_logits, merged_logits)
    alone = compare(adapter_logits, base_logits)
    log(f"merge: {merged['positions']} positions of {len(rows)} prompts; merged vs PEFT adapter: top-1 agreement "
        f"{merged['top1_agreement']:.1%}, KL {merged['kl_nats']:.4f} nats; the base alone vs the adapter: {alone['top1_agreement']:.1%}")
    return {"command": "merge", "run": str(run) if args.run else "made (r8 q/v, B ~ N(0, 0.5), seed 0)", "prompts": len(rows),
            "merged_vs_adapter": merged, "base_vs_adapter": alone}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    requant = sub.add_parser("requant", help="perplexity of requantisations of the shipped Q4_1 base")
    requant.add_argument("--types", default="q4_0,q8_0", help="comma-separated gguf-py types (q4_0, q5_0, q5_1, q8_0)")
    requant.add_argument("--dataset", help="a dougpt dataset build folder (default: built from tests/fixtures/dataset)")
    requant.add_argument("--split", default="all", help="split(s) whose replies are scored: all, or e.g. test or validation,test")
    requant.add_argument("--limit", type=int, default=0, help="first N rows only (0: all)")
    merge = sub.add_parser("merge", help="a merged GGUF against the PEFT adapter")
    merge.add_argument("--run", help="a run folder with adapter/ and adapter.gguf (default: a LoRA made here)")
    merge.add_argument("--dataset", help="a dougpt dataset build folder (default: built from tests/fixtures/dataset)")
    merge.add_argument("--prompts", type=int, default=3)
    args = parser.parse_args()
    import torch
    import transformers

    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dougpt-gguf-quality-") as tmp:
        result = (cmd_requant if args.command == "requant" else cmd_merge)(args, Path(tmp))
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
