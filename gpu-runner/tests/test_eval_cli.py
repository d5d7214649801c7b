"""The eval job end to end on SmolLM2-135M with LoRA adapters made here, and its model-side invariants."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest
from memory_fixtures import write_memory_index

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "functions" / "prompt" / "prompt-spec.json"
LEAKED_LOGIN = "bird_fan99"

CONTEXTS = [
    ("v1", 10_000, "okay chat we are going left this time i promise", "LEFT"),
    ("v1", 40_000, "the bird is back oh no the bird", "BIRD KEKW"),
    ("v1", 80_000, "one more try one more try and we win", "COPIUM"),
    ("v1", 120_000, "hi chat how are we doing today", "hi doug <3"),
    ("v2", 5_000, "should i jump or should i wait", "jump"),
    ("v2", 30_000, "i am the best player in the world", "LUL"),
    ("v2", 65_000, "why is everyone typing L in chat", "@viewer L"),
    ("v2", 90_000, "we did it we actually did it", "LETS GO"),
]
TRAIN = ["the bird is always right chat honestly", "LUL", "DOUG NO", "go left", "W", "KEKW", "true", "pog", "L", "easy",
         "lets go", "no way", "he did it", "bird again", "wait what", "clip it", "so close", "chat is this real",
         "jump now", "i believe", "omegalul", "ggs", "o7", "monkaS", "doug pls", "right side", "BIRD", "first try",
         "left is right", "not again"]
# Rows of a test VOD: "NEAR" 20 s from an example (never a distractor of it), "hi DOUG  <3" a real reply's twin.
TRAIN_IN_TEST_VODS = [("v1", 60_000, "NEAR"), ("v2", 200_000, "hi DOUG  <3")]
RANKING_CANDIDATES = 30


def _row(vod: str, offset: int, context: str, reply: str, spec: dict, split: str, n: int) -> dict:
    return {
        "prompt": [{"role": "system", "content": spec["system"]},
                   {"role": "user", "content": spec["user_template"].replace("{context}", context)}],
        "completion": [{"role": "assistant", "content": reply}],
        "context": context, "vod_id": vod, "message_id": f"m{n}", "pair_id": f"{split}-{n}", "offset_ms": offset,
        "context_start_ms": max(0, offset - 20_000), "context_end_ms": offset, "lag_ms": 3000, "score": 0.9,
        "tier": 2, "label": None, "align_id": "a1", "asr_run_id": None, "chat_sha256": "0" * 64,
        "manifest_version": None, "dataset_id": "ds-test", "split": split,
    }


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dougpt_gpu.evaluate.safety import login_hash

    root = tmp_path_factory.mktemp("dataset")
    spec = json.loads(SPEC.read_text())
    (root / "prompt_spec.json").write_bytes(SPEC.read_bytes())
    (root / "dataset.json").write_text(json.dumps({"dataset_id": "ds-test", "splits": {"train": len(TRAIN), "test": 8}}))
    salt = "abc123"
    (root / "viewers.json").write_text(json.dumps({"salt": salt, "sha256": [login_hash(salt, LEAKED_LOGIN)]}))
    sft = root / "sft"
    sft.mkdir()
    test_rows = [_row(v, o, c, r, spec, "test", i) for i, (v, o, c, r) in enumerate(CONTEXTS)]
    train_rows = [_row("v0", 1000 * i, "some speech", r, spec, "train", i) for i, r in enumerate(TRAIN)]
    train_rows += [_row(v, o, "other speech", r, spec, "train", len(train_rows) + k) for k, (v, o, r) in enumerate(TRAIN_IN_TEST_VODS)]
    (sft / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in test_rows))
    (sft / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train_rows))
    (sft / "validation.jsonl").write_text("")
    # Voice memory: moments like some test contexts; "m-near" is of v1 within 5 minutes of its test examples.
    memory = [("m0", "v0", 1_000, "the bird is back again chat", "BIRD"), ("m1", "v0", 2_000, "one more try and we win this", "COPIUM"),
              ("m2", "v0", 3_000, "should we jump now chat", "jump"), ("m-near", "v1", 200_000, "the bird is back", "NEAR MEMORY"),
              ("m3", "v3", 0, "hi chat how are we doing", "hi")]
    write_memory_index(root / "memory.json", "ds-test", [
        {"pair_id": p, "vod_id": v, "offset_ms": o, "context": c, "reply": r} for p, v, o, c, r in memory])
    return root


def _make_run(base_dir: str, gguf_file: str | None, out: Path, seed: int) -> Path:
    """A training run folder: a LoRA (r=8 on q_proj, v_proj) whose B weights are perturbed so it differs from base."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    extra = {"gguf_file": gguf_file} if gguf_file else {}
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32, **extra)
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.05)
    peft_model.save_pretrained(str(out / "adapter"))
    (out / "run.json").write_text(json.dumps({"run_id": f"run-{seed}", "base": {"name": "smollm2-135m"}}))
    return out


@pytest.fixture(scope="module")
def base_model() -> tuple[str, str | None]:
    pytest.importorskip("peft")
    from dougpt_gpu.evaluate.scoring import resolve_base_model

    try:
        base = resolve_base_model("smollm2-135m")
    except Exception as error:  # noqa: BLE001 - no embedded model here: nothing to evaluate
        pytest.skip(f"smollm2-135m unavailable: {error}")
    return base.path, base.gguf_file


@pytest.fixture(scope="module")
def runs(base_model: tuple[str, str | None], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("runs")
    candidate = _make_run(*base_model, root / "candidate", seed=1)
    promoted = _make_run(*base_model, root / "promoted", seed=2)
    return candidate, promoted


def run_eval_job(job: dict, tmp_path: Path) -> tuple[int, list[dict], str]:
    job_file = tmp_path / "job.json"
    job_file.write_text(json.dumps(job))
    proc = subprocess.run([sys.executable, "-m", "dougpt_gpu", "eval", "--input", str(job_file)],
                          capture_output=True, text=True, timeout=900)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines() if line.strip()], proc.stderr


def test_help_imports_nothing_heavy() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, runpy; sys.argv=['x','eval','--help'];\n"
         "try: runpy.run_module('dougpt_gpu', run_name='__main__')\n"
         "except SystemExit: pass\n"
         "print(sorted(m for m in ('torch','transformers','peft','sklearn','numpy') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    )
    assert "--input" in proc.stdout and proc.stdout.strip().endswith("[]")


def test_bad_input_exits_2_before_loading_a_model(dataset_dir: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    cases = [
        ({"dataset": str(tmp_path / "nope"), "adapter": str(tmp_path)}, "dataset folder not found"),
        ({"dataset": str(dataset_dir), "adapter": str(tmp_path)}, "adapter_config.json"),
        ({"dataset": str(dataset_dir), "adapter": str(tmp_path), "split": "dev"}, "split file not found"),
        ({"dataset": str(dataset_dir), "adapter": str(tmp_path), "temperature": 1}, "unknown field 'temperature'"),
        ({"dataset": str(dataset_dir), "adapter": str(tmp_path), "limit": "3"}, "limit: must be int"),
        ({"dataset": str(dataset_dir), "adapter": str(tmp_path), "toxicity_check": []}, "toxicity_check: must be"),
    ]
    for job, message in cases:
        code, events, _ = run_eval_job(job, tmp_path)
        assert code == 2, (job, events)
        assert events[-1]["event"] == "error" and events[-1]["kind"] == "bad-input"
        assert message in events[-1]["message"], events[-1]["message"]
    assert time.monotonic() - started < 60


def test_reply_logliks_match_full_forward_and_ignore_padding(dataset_dir: Path, runs: tuple[Path, Path],
                                                            base_model: tuple[str, str | None]) -> None:
    import torch

    from dougpt_gpu.evaluate.dataset import load_dataset
    from dougpt_gpu.evaluate.job import EvalJob, GenerationOptions
    from dougpt_gpu.evaluate.scoring import ResolvedBase, Scorer

    job = EvalJob(dataset=str(dataset_dir), adapter=str(runs[0]), threads=1)
    scorer = Scorer(job, ResolvedBase("smollm2-135m", base_model[0], base_model[1], None), {"adapter": runs[0] / "adapter"})
    examples = load_dataset(dataset_dir, "test", None).examples[:3]
    prompts = [scorer.prompt_ids(e.prompt) for e in examples]
    replies = [scorer.reply_ids(e.reply) for e in examples]
    assert all(r[-1] == scorer.end_id for r in replies)
    # Each prompt continues with its own reply and the next example's (as the mismatched-context pass does).
    continuations = [[replies[i], replies[(i + 1) % 3]] for i in range(3)]

    def full_forward(prompt: list[int], reply: list[int]) -> float:
        ids = torch.tensor([prompt + reply])
        logits = scorer.model(input_ids=ids).logits[0].log_softmax(-1)
        return sum(float(logits[pos - 1, ids[0, pos]]) for pos in range(len(prompt), ids.shape[1]))

    options = GenerationOptions(seed=7, max_new_tokens=5)
    for side in ("base", "adapter"):
        with scorer.use(side):
            batched, ends, sampled = scorer.run(prompts, continuations, batch_size=3, generation=(options, 5, 200))
            single = [scorer.run([p], [[r]], batch_size=1)[0][0][0] for p, r in zip(prompts, replies)]
            again = scorer.run(prompts, continuations, batch_size=3, generation=(options, 5, 200))
            # Prompts with different numbers of replies in one batch.
            uneven = scorer.run(prompts, [continuations[0], continuations[1][:1], continuations[2]], batch_size=3)[0]
            ranked = scorer.mean_logliks(prompts[0], [replies[0], replies[1], replies[2]], per_pass=2)
            with torch.inference_mode():
                full = [full_forward(prompts[0], continuations[0][0]), full_forward(prompts[0], continuations[0][1])]
                reply_only = full_forward(prompts[0], replies[0][:-1])
        assert [b[0] for b in batched] == pytest.approx(single, abs=1e-3)  # padding and batching change nothing
        assert batched[0] == pytest.approx(full, abs=1e-3)
        assert ends[0][0] == pytest.approx(full[0] - reply_only, abs=1e-3)  # the end-of-turn token's share
        assert [len(u) for u in uneven] == [2, 1, 2] and uneven[1][0] == pytest.approx(batched[1][0], abs=1e-3)
        # Ranking scores: mean per token, the same as the full forward pass, whatever the pass size.
        assert ranked[0] == pytest.approx(full[0] / len(replies[0]), abs=1e-4)
        assert ranked[1] == pytest.approx(full[1] / len(replies[1]), abs=1e-4)
        assert all(v < 0 for b in batched for v in b)
        assert again == (batched, ends, sampled)  # same seed, same scores and replies
        assert any(sampled)
        if side == "base":
            base_values = batched
    assert batched[0] != pytest.approx(base_values[0], abs=1e-3)  # the adapter changes the scores
    assert all("\n" not in reply and len(reply) <= 200 for reply in sampled)


def test_eval_job_end_to_end(dataset_dir: Path, runs: tuple[Path, Path], tmp_path: Path) -> None:
    candidate, promoted = runs
    out = tmp_path / "evals"
    job = {"dataset": str(dataset_dir), "adapter": str(candidate), "promoted": str(promoted), "out": str(out),
           "batch_size": 4, "threads": 1, "generation": {"max_new_tokens": 6, "seed": 3}, "classifier_folds": 4,
           "ranking_candidates": RANKING_CANDIDATES, "memory": str(dataset_dir / "memory.json")}
    started = time.monotonic()
    code, events, stderr = run_eval_job(job, tmp_path)
    elapsed = time.monotonic() - started
    assert code == 0, stderr[-3000:]
    print(f"eval of 8 examples x 3 models: {elapsed:.1f} s")
    progress, result = events[:-1], events[-1]
    assert result["event"] == "result" and all(e["event"] == "progress" for e in progress)
    done = [e["done"] for e in progress]
    assert done == sorted(done) and done[-1] == progress[-1]["total"]
    assert {e["model"] for e in progress if e["stage"] == "score"} == {"base", "adapter", "promoted"}
    assert {e["model"] for e in progress if e["stage"] == "rank"} == {"base", "adapter", "promoted"}

    summary = json.loads(Path(result["eval_json"]).read_text())
    assert Path(result["eval_json"]).parent == out / result["eval_id"]
    assert {"eval_id", "base", "adapter", "promoted", "real", "gates", "n_examples", "split", "report"} <= set(summary)
    assert summary["n_examples"] == 8 and summary["split"] == "test" and summary["adapter_run_id"] == "run-1"
    for side in ("base", "adapter", "promoted"):
        metrics = summary[side]
        assert 1 < metrics["perplexity"] < 1e6 and 1 < metrics["perplexity_no_eot"] < 1e6
        assert math.isfinite(metrics["contextual_lift"])
        assert 0 <= metrics["classifier_accuracy"] <= 1
        assert 0 <= metrics["verbatim_copy_rate"] <= 1
        low, high = metrics["contextual_lift_ci95"]
        assert low <= metrics["contextual_lift"] <= high
        low, high = metrics["classifier_accuracy_ci95"]
        assert 0 <= low <= metrics["classifier_accuracy"] <= high <= 1
        for key in ("ranking", "ranking_no_context", "ranking_pmi"):
            ranking = metrics[key]
            assert ranking["n"] == 8 and ranking["n_candidates"] == RANKING_CANDIDATES, (key, ranking)
            assert 0 <= ranking["r_at_1"] <= ranking["r_at_5"] <= ranking["r_at_10"] <= 1
            assert 1 / RANKING_CANDIDATES <= ranking["mrr"] <= 1 and 1 <= ranking["mean_rank"] <= RANKING_CANDIDATES
            low, high = ranking["r_at_10_ci95"]
            assert 0 <= low <= ranking["r_at_10"] <= high <= 1
        # Every fixture pair is tier 2: the per-tier figures are the whole split's.
        tiers = metrics["by_tier"]
        assert list(tiers) == ["2"] and tiers["2"]["n"] == 8
        assert tiers["2"]["contextual_lift"] == pytest.approx(metrics["contextual_lift"])
        assert tiers["2"]["ranking"]["r_at_10"] == metrics["ranking"]["r_at_10"]
        print(side, {k: round(metrics[k], 3) for k in ("perplexity", "perplexity_no_eot", "contextual_lift")},
              {k: (metrics[k]["r_at_10"], round(metrics[k]["mrr"], 3)) for k in ("ranking", "ranking_no_context", "ranking_pmi")})
    lift = summary["lift_vs_base"]
    assert lift["value"] == pytest.approx(summary["adapter"]["contextual_lift"] - summary["base"]["contextual_lift"], abs=1e-9)
    assert lift["ci95"][0] <= lift["value"] <= lift["ci95"][1]
    assert summary["random"]["ranking"]["r_at_10"] == pytest.approx(10 / RANKING_CANDIDATES)
    popularity = summary["popularity"]["ranking"]
    assert popularity["n_candidates"] == RANKING_CANDIDATES and 0 <= popularity["r_at_10"] <= 1
    print("lift_vs_base", lift, "popularity", popularity)
    candidates = [json.loads(line) for line in Path(summary["candidates"]).read_text().splitlines()]
    assert [c["pair_id"] for c in candidates] == [f"test-{i}" for i in range(8)]
    for row, (vod, offset, _, reply) in zip(candidates, CONTEXTS):
        texts = [c["text"] for c in row["candidates"]]
        assert len(texts) == RANKING_CANDIDATES and texts[0] == reply and row["candidates"][0]["source"] == "real"
        assert len({" ".join(t.lower().split()) for t in texts}) == len(texts)
        assert all(not (c["vod_id"] == vod and abs(c["offset_ms"] - offset) < 60_000) for c in row["candidates"][1:])
    assert "NEAR" not in [c["text"] for c in candidates[0]["candidates"]]  # v1 at 10 s: the row 50 s later is out
    assert summary["adapter"]["perplexity"] != pytest.approx(summary["base"]["perplexity"], rel=1e-4)
    real = summary["real"]
    assert real["name_leaks"] == 0 and real["emote_rate"] == pytest.approx(4 / 8)
    gates = summary["gates"]
    assert isinstance(gates["passed"], bool) and gates["passed"] == (not gates["failures"])
    assert not gates["skipped"] or all(s["gate"].startswith("no_regression:") for s in gates["skipped"])
    for failure in gates["failures"]:
        assert failure["passed"] is False and failure["message"]
    # A LoRA of random noise is no better than base: the perplexity gate must catch it.
    assert "perplexity_no_eot_vs_base" in {f["gate"] for f in gates["failures"]}
    assert gates["version"] == "dougpt-gates/2"
    assert {"lift_vs_base", "ranking_needs_context"} <= {o["gate"] for o in gates["checked"]}

    samples = [json.loads(line) for line in (out / result["eval_id"] / "samples.jsonl").read_text().splitlines()]
    memory = summary["memory"]
    assert memory["index"]["dataset_id"] == "ds-test" and memory["k"] == 3 and memory["retrieval_ms"]["p50"] < 20
    assert set(memory["sides"]) == {"base", "adapter", "promoted"}
    assert memory["examples_with_memory"] == sum(1 for s in samples if s["memory"]["recalled"]) >= 4
    assert all("m-near" not in s["memory"]["recalled"] for s in samples if s["vod_id"] == "v1")
    assert any("m-near" in s["memory"]["recalled"] for s in samples if s["vod_id"] == "v2")
    for side, figures in memory["sides"].items():
        assert figures["ranking"]["n"] == 8 and -1 <= figures["r_at_10_gain"] <= 1 and -1 <= figures["mrr_gain"] <= 1
        assert figures["mrr_gain"] == pytest.approx(figures["ranking"]["mrr"] - summary[side]["ranking"]["mrr"], abs=1e-9)
    # The memory changes what the model sees: some real reply moves in the base model's ranking.
    assert any(s["memory"]["rank"]["base"] != s["rank"]["base"]["context"] for s in samples if s["memory"]["recalled"])
    assert isinstance(memory["default_on"]["meets_bar"], bool)
    assert [s["real"] for s in samples] == [c[3] for c in CONTEXTS]
    # name_leaks counts the corpus's viewer logins in each side's generated replies: recounted here from the
    # replies themselves (the only corpus login is LEAKED_LOGIN).
    for side in ("base", "adapter", "promoted"):
        leaked = sum(1 for s in samples for token in re.findall(r"[A-Za-z0-9_]{3,25}", s[side]) if token.lower() == LEAKED_LOGIN)
        assert summary[side]["name_leaks"] == leaked, (side, [s[side] for s in samples])
    assert all(1 <= s["rank"][side]["context"] <= RANKING_CANDIDATES for s in samples for side in ("base", "adapter"))
    html = Path(summary["report"]).read_text()
    assert html.count("<svg") >= 2 and "<script" not in html
    assert "Listening" in html and "R@10" in html and "popularity" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)  # self-contained: nothing fetched
    assert all(escape(s["adapter"], quote=True) in html for s in samples)


def test_an_adapter_trained_with_memory_is_evaluated_as_it_is_served(dataset_dir: Path, runs: tuple[Path, Path],
                                                                       tmp_path: Path) -> None:
    """The server serves an adapter trained with memory with the index beside it, so the evaluation does the same by
    default: every figure is with memory, and `memory` holds the ranking without it as the reference."""
    import hashlib
    import shutil

    run = tmp_path / "run"
    shutil.copytree(runs[0], run)
    index = dataset_dir / "memory.json"
    shutil.copyfile(index, run / "memory.json")
    sha256 = hashlib.sha256(index.read_bytes()).hexdigest()
    (run / "run.json").write_text(json.dumps({"run_id": "run-m", "base": {"name": "smollm2-135m"},
                                              "memory": {"file": "memory.json", "sha256": sha256}}))
    out = tmp_path / "evals"
    job = {"dataset": str(dataset_dir), "adapter": str(run), "out": str(out), "batch_size": 4, "threads": 1,
           "generation": {"max_new_tokens": 4, "seed": 3}, "classifier_folds": 4, "ranking_candidates": 10}
    code, events, stderr = run_eval_job(job, tmp_path)
    assert code == 0, stderr[-3000:]
    summary = json.loads(Path(events[-1]["eval_json"]).read_text())
    memory = summary["memory"]
    assert memory["served"] is True and memory["index"]["sha256"] == sha256
    samples = [json.loads(line) for line in (out / events[-1]["eval_id"] / "samples.jsonl").read_text().splitlines()]
    # The headline ranking is the one with memory; the gains are over the same model without it.
    for side in ("base", "adapter"):
        assert [s["memory"]["rank"][side] for s in samples] == [s["rank"][side]["context"] for s in samples]
        assert memory["sides"][side]["ranking"]["r_at_10"] == summary[side]["ranking"]["r_at_10"]
    assert any(s["memory"]["recalled"] for s in samples)

    # Told not to, it evaluates the adapter without memory, under another eval id.
    code, events, stderr = run_eval_job({**job, "serve_memory": False}, tmp_path)
    assert code == 0, stderr[-3000:]
    plain = json.loads(Path(events[-1]["eval_json"]).read_text())
    assert "memory" not in plain or plain["memory"] is None
    assert plain["eval_id"] != summary["eval_id"]

    # Its index gone, the adapter would not be evaluated as it is served: bad input before a model loads.
    (run / "memory.json").unlink()
    code, _, stderr = run_eval_job(job, tmp_path)
    assert code == 2 and "trained with voice memory but its index" in stderr
