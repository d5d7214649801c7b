"""The dataset export is what Hugging Face `datasets` reads (dougpt dataset build → load_dataset)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "dataset"


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    out = tmp_path_factory.mktemp("ds") / "export"
    run = subprocess.run(
        [node, str(ROOT / "bin" / "dougpt.js"), "dataset", "build", "--pairs",
         str(FIXTURES / "fixture-vod-a.align.json"), str(FIXTURES / "fixture-vod-b.align.json"), "--out", str(out), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    # A cache of its own: `datasets` caches a folder's parsed rows, and a shared cache can hand back another
    # build's rows for a path it has seen.
    return out, summary, str(tmp_path_factory.mktemp("hf-cache"))


def test_sft_config_is_the_default_with_three_splits(dataset_dir):
    from datasets import load_dataset

    out, summary, cache = dataset_dir
    ds = load_dataset(str(out), cache_dir=cache)
    assert set(ds.keys()) == {"train", "validation", "test"}
    for split, rows in ds.items():
        assert len(rows) == summary["splits"][split]
    row = ds["train"][0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["completion"][0]["role"] == "assistant"
    assert row["dataset_id"] == summary["dataset_id"] and row["split"] == "train"
    for column in ("vod_id", "message_id", "pair_id", "offset_ms", "context_start_ms", "context_end_ms", "lag_ms", "score",
                   "tier", "label", "align_id", "asr_run_id", "chat_sha256", "manifest_version"):
        assert column in ds["train"].column_names


def test_dpo_config_loads_preference_pairs(dataset_dir):
    from datasets import load_dataset

    out, summary, cache = dataset_dir
    dpo = load_dataset(str(out), "dpo", cache_dir=cache)
    assert len(dpo["train"]) == summary["dpo"]["train"] > 0
    same_vod = 0
    for row in dpo["train"]:
        assert row["chosen"][0]["content"] != row["rejected"][0]["content"]
        assert row["rejected_vod_id"] != row["vod_id"] or abs(row["rejected_offset_ms"] - row["offset_ms"]) >= 60_000
        same_vod += row["rejected_vod_id"] == row["vod_id"]
    # Hard negatives: the same VOD first; another VOD only where the VOD has no reply a minute away.
    assert summary["dpo_negatives"]["same_vod"] >= same_vod > 0
