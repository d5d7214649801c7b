"""A synthetic dataset folder in the layout of docs/model-layer.md, for tests, the benchmark and demos.

    python -m dougpt_gpu.train.sample_data OUT_DIR [--rows N] [--seed N]

Streamer contexts of 0-80 words and short chat replies (emotes, emoji, the viewer placeholder), rendered with the
project's prompt spec the way functions/prompt/prompt-spec.ts renders them. Not a substitute for `dougpt dataset
build`: it exists so the trainer can be tested before and apart from the dataset builder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from ..prompt_spec import render_messages

SPEC_PATH = Path(__file__).resolve().parents[4] / "functions" / "prompt" / "prompt-spec.json"

_SPEECH = (
    "okay chat we are going to try this one more time and if it does not work we are going home "
    "I cannot believe that just happened did you see that the penguin jumped straight into the lava "
    "thank you so much for the subs everybody welcome to the stream today we are building a rocket "
    "no no no no why would you do that chat you told me to go left and I went left and I died "
    "this is the greatest plan anyone has ever had we simply need to win forty times in a row "
    "alright let us read some donations before we continue with the worst game I have ever played "
    "wait wait wait what if we just jumped over the wall would that work I think that would work"
).split()
_REPLIES = (
    "LUL", "KEKW", "OMEGALUL", "Pog", "PogChamp", "monkaS", "Kappa", "5Head", "Clap", "o7",
    "no way", "he is so bad at this", "GO LEFT", "chat we did it", "actual genius", "that was clean",
    "first try btw", "@viewer called it", "doug pls", "lava again", "we believe", "rip penguin",
    "🐧🔥", "L + ratio", "\"trust the plan\"", "W", "never cook again", "i can't watch", "cooking",
)


def _reply(rng: random.Random) -> str:
    return " ".join(rng.choice(_REPLIES) for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))))


def make_rows(n: int, seed: int, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """`n` SFT rows; context lengths spread from silence to beyond the 80-word limit."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        length = rng.choice((0, rng.randint(1, 20), rng.randint(10, 60), rng.randint(40, 95)))
        start = rng.randrange(len(_SPEECH))
        context = " ".join(_SPEECH[(start + k) % len(_SPEECH)] for k in range(length))
        offset = 60_000 + i * 4_000
        rows.append(
            {
                "prompt": render_messages(spec, context),
                "completion": [{"role": "assistant", "content": _reply(rng)}],
                "context": context,
                "vod_id": "sample-vod",
                "message_id": f"m{i:05d}",
                "pair_id": f"p{i:05d}",
                "offset_ms": offset,
                "context_start_ms": offset - 30_000,
                "context_end_ms": offset - 2_000,
                "lag_ms": 2_000,
                "score": 0.8,
                "tier": 2,
                "label": None,
                "align_id": "sample-align",
                "asr_run_id": "sample-asr",
                "chat_sha256": "0" * 64,
                "manifest_version": 1,
            }
        )
    return rows


def make_pairs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DPO rows: each row's reply is chosen, the reply of the row half the split away (another moment) rejected."""
    pairs = []
    for i, row in enumerate(rows):
        other = rows[(i + len(rows) // 2) % len(rows)]
        if other is row or other["completion"][0]["content"] == row["completion"][0]["content"]:
            continue
        pairs.append(
            {
                "prompt": row["prompt"],
                "chosen": row["completion"],
                "rejected": other["completion"],
                **{k: v for k, v in row.items() if k not in ("prompt", "completion", "context")},
                "rejected_pair_id": other["pair_id"],
                "rejected_vod_id": other["vod_id"],
                "rejected_offset_ms": other["offset_ms"],
            }
        )
    return pairs


def write_dataset(out: Path, rows: int = 48, seed: int = 0, validation: int = 8, spec_path: Path = SPEC_PATH,
                  test: int = 0) -> str:
    """Writes the folder and returns its dataset_id (a hash of its rows and spec)."""
    spec_text = spec_path.read_text(encoding="utf-8")
    spec = json.loads(spec_text)
    all_rows = make_rows(rows + validation + test, seed, spec)
    dataset_id = "ds-" + hashlib.sha256(
        json.dumps([spec_text, all_rows], sort_keys=True).encode()
    ).hexdigest()[:12]
    held = rows + validation
    splits = {"train": all_rows[:rows], "validation": all_rows[rows:held], "test": all_rows[held:]}
    out.mkdir(parents=True, exist_ok=True)
    (out / "sft").mkdir(exist_ok=True)
    (out / "dpo").mkdir(exist_ok=True)
    for split, items in splits.items():
        lines = [json.dumps({**row, "dataset_id": dataset_id, "split": split}, ensure_ascii=False) for row in items]
        (out / "sft" / f"{split}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        pairs = [json.dumps({**row, "dataset_id": dataset_id, "split": split}, ensure_ascii=False) for row in make_pairs(items)]
        (out / "dpo" / f"{split}.jsonl").write_text("".join(line + "\n" for line in pairs), encoding="utf-8")
    (out / "prompt_spec.json").write_text(spec_text, encoding="utf-8")
    (out / "viewers.json").write_text(json.dumps({"salt": "sample", "sha256": []}), encoding="utf-8")
    summary = {
        "dataset_id": dataset_id,
        "split_by": "block",
        "rule_version": "sample/1",
        "splits": {k: len(v) for k, v in splits.items()},
        "filtered": {},
        "capped": 0,
        "prompt_spec": {"version": spec["version"], "sha256": hashlib.sha256(spec_text.encode()).hexdigest()},
        "sources": [{"kind": "synthetic", "seed": seed}],
    }
    (out / "dataset.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "README.md").write_text(
        "---\nconfigs:\n- config_name: sft\n  default: true\n  data_files:\n  - split: train\n    path: sft/train.jsonl\n"
        "  - split: validation\n    path: sft/validation.jsonl\n- config_name: dpo\n  data_files:\n  - split: train\n    path: dpo/train.jsonl\n"
        "  - split: validation\n    path: dpo/validation.jsonl\n---\n\nSynthetic DougPT sample dataset (tests only).\n",
        encoding="utf-8",
    )
    return dataset_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=48)
    parser.add_argument("--validation", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write_dataset(Path(args.out), args.rows, args.seed, args.validation))


if __name__ == "__main__":
    main()
