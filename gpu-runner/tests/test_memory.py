"""Voice memory: the retrieval rules, and the TypeScript and Python sides retrieving and rendering the same bytes.

The reply server and the simulator recall in TypeScript (functions/memory/memory-index.ts); the trainer and the
evaluator recall here (dougpt_gpu/memory/index.py) and render with dougpt_gpu/prompt_spec.py. A moment or a byte of
difference would train and evaluate on prompts the server never builds.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from memory_fixtures import write_memory_index
from test_prompt_parity import AWKWARD
from train_fixtures import REPO

from dougpt_gpu.errors import BadInput
from dougpt_gpu.memory.index import load_memory_index
from dougpt_gpu.prompt_spec import render_messages

_SPEECH = ("okay chat penguin lava rocket jump boss fight donation thank you subs we are going to win this "
           "never again the plan is perfect left right why would you do that chat I promise").split()
_REPLIES = ["LUL", "KEKW", "rip penguin", "GO LEFT", "W", "@viewer called it", "🐧🔥", "\"trust the plan\"", "o7"]


def moments(n: int = 300, seed: int = 7) -> list[dict]:
    """Train moments over four VODs: repeated contexts, silences, odd characters, ties."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        length = rng.choice((0, 1, 3, 8, 20, 45))
        context = " ".join(rng.choice(_SPEECH) for _ in range(length))
        if i % 17 == 0:
            context = AWKWARD[i % len(AWKWARD)]
        if i % 11 == 0 and out:
            context = out[-1]["context"]
        out.append({"pair_id": f"p{i:04d}", "vod_id": f"vod-{i % 4}", "offset_ms": (i // 4) * 9_000 + rng.randrange(3_000),
                    "context": context, "reply": rng.choice(_REPLIES)})
    return out


def queries(entries: list[dict], n: int = 120, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 3 == 0:  # an example of the index itself: the example and its neighbourhood must be skipped
            e = entries[rng.randrange(len(entries))]
            out.append({"context": e["context"], "vod_id": e["vod_id"], "offset_ms": e["offset_ms"], "pair_id": e["pair_id"]})
        else:
            context = " ".join(rng.choice(_SPEECH) for _ in range(rng.choice((0, 2, 6, 30))))
            vod = rng.choice((None, "vod-1", "vod-9"))
            out.append({"context": context, "vod_id": vod, "offset_ms": rng.randrange(700_000) if vod and i % 5 else None,
                        "pair_id": None})
    return out + [{"context": c, "vod_id": None, "offset_ms": None, "pair_id": None} for c in AWKWARD]


def run_typescript(payload: dict, script: str, tmp_path: Path) -> dict:
    npx = shutil.which("npx")
    assert npx is not None and (REPO / "node_modules" / "tsx").is_dir(), "needs node and the repository's node_modules"
    source = tmp_path / "payload.json"
    source.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    memory = (REPO / "functions" / "memory" / "memory-index.ts").as_posix()
    prompt = (REPO / "functions" / "prompt" / "prompt-spec.ts").as_posix()
    header = (
        "import { readFileSync, writeFileSync } from 'node:fs';"
        f"import {{ buildMemoryIndex, memoryIndexText, parseMemoryIndex, recall }} from '{memory}';"
        f"import {{ loadPromptSpec, renderMessages }} from '{prompt}';"
        "const input = JSON.parse(readFileSync(process.env.PARITY_INPUT, 'utf8'));"
    )
    proc = subprocess.run([npx, "tsx", "-e", header + script], capture_output=True, text=True, encoding="utf-8", cwd=REPO,
                          env={**os.environ, "PARITY_INPUT": str(source), "PARITY_DIR": str(tmp_path)}, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


TS_SCRIPT = (
    "const text = memoryIndexText(buildMemoryIndex('ds-parity', input.entries));"
    "writeFileSync(process.env.PARITY_DIR + '/memory.json', text);"
    "const index = parseMemoryIndex(text);"
    "const recalled = input.queries.map((q) => recall(index, q, 5).map((m) => [m.pair_id, m.index, m.score]));"
    "const { spec } = loadPromptSpec();"
    "const rendered = input.renders.map((r) => renderMessages(spec, r.context, r.memories));"
    "process.stdout.write(JSON.stringify({ recalled, rendered, words: input.entries.map((e) => e.context) }));"
)


def test_typescript_and_python_recall_and_render_the_same(tmp_path: Path) -> None:
    entries = moments()
    qs = queries(entries)
    spec = json.loads((REPO / "functions" / "prompt" / "prompt-spec.json").read_text(encoding="utf-8"))
    # Prompts with 0-4 recalled moments of every length, awkward text on both sides of the block.
    rng = random.Random(3)
    renders = []
    for i, context in enumerate(AWKWARD + [" ".join(f"w{k}" for k in range(n)) for n in (60, 80, 140)]):
        picked = [entries[rng.randrange(len(entries))] for _ in range(i % 5)]
        memories = [(AWKWARD[(i + j) % len(AWKWARD)] if j == 1 else m["context"], m["reply"] if j != 2 else AWKWARD[i % len(AWKWARD)])
                    for j, m in enumerate(picked)]
        renders.append({"context": context, "memories": [{"context": c, "reply": r} for c, r in memories]})
    ts = run_typescript({"entries": entries, "queries": qs, "renders": renders}, TS_SCRIPT, tmp_path)

    index = load_memory_index(tmp_path / "memory.json")
    python = [[[r.entry.pair_id, r.index, r.score] for r in index.recall(q["context"], q["vod_id"], q["offset_ms"], q["pair_id"], 5)]
              for q in qs]
    assert python == ts["recalled"]  # ids, positions and float scores, exactly
    assert sum(1 for r in python if r) > len(qs) // 2, "most queries recall something (the test would be empty otherwise)"
    assert any(len({round(s, 12) for _, _, s in r}) < len(r) for r in python), "fixtures include tied scores"

    mismatches = []
    for r, expected in zip(renders, ts["rendered"]):
        ours = render_messages(spec, r["context"], [(m["context"], m["reply"]) for m in r["memories"]])
        if json.dumps(ours, ensure_ascii=False).encode() != json.dumps(expected, ensure_ascii=False).encode():
            mismatches.append((r["context"][:30], ours[1]["content"][:120], expected[1]["content"][:120]))
    assert not mismatches, mismatches[:3]
    assert sum("Earlier, when" in e[1]["content"] for e in ts["rendered"]) > 10


def test_recall_rules(tmp_path: Path) -> None:
    entries = [
        {"pair_id": "a1", "vod_id": "a", "offset_ms": 60_000, "context": "penguin lava", "reply": "x"},
        {"pair_id": "a2", "vod_id": "a", "offset_ms": 360_000, "context": "penguin lava again", "reply": "x"},
        {"pair_id": "a3", "vod_id": "a", "offset_ms": 360_001, "context": "the penguin lava jump", "reply": "x"},
        {"pair_id": "b1", "vod_id": "b", "offset_ms": 0, "context": "penguin lava", "reply": "y"},
        {"pair_id": "b2", "vod_id": "b", "offset_ms": 0, "context": "penguin", "reply": "y"},
        {"pair_id": "c1", "vod_id": "c", "offset_ms": 0, "context": "rocket", "reply": "z"},
    ]
    index = load_memory_index(write_memory_index(tmp_path / "memory.json", "ds", entries))
    ids = lambda **q: [r.entry.pair_id for r in index.recall(k=10, **q)]  # noqa: E731
    assert ids(context="penguin lava", pair_id="a1", vod_id="a", offset_ms=60_000) == ["b1", "a3", "b2"]  # itself, a2 at +300 s
    # Without a query VOD or pair: a1 comes, and b1 (the same context text, tied, later in the file) does not.
    assert ids(context="penguin lava") == ["a1", "a2", "a3", "b2"]
    assert [i for i in ids(context="penguin lava", vod_id="a") if i.startswith("a")] == []  # offset unknown: whole VOD
    assert ids(context="zebra") == []
    assert len(index.recall("penguin lava rocket")) == 3  # k from the file


def test_a_malformed_index_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "memory.json"
    path.write_text('{"rule": "dougpt-memory/1", "entries": []}')
    with pytest.raises(BadInput, match=r"memory.json: malformed"):
        load_memory_index(path)
    with pytest.raises(BadInput, match=r"nope.json: cannot read"):
        load_memory_index(tmp_path / "nope.json")


def test_the_evaluator_refuses_another_datasets_memory_and_a_spec_without_memory(tmp_path: Path) -> None:
    from dougpt_gpu.evaluate.dataset import EvalDataset, Example
    from dougpt_gpu.evaluate.memory_side import memory_prompts

    spec = json.loads((REPO / "functions" / "prompt" / "prompt-spec.json").read_text(encoding="utf-8"))
    example = Example(prompt=render_messages(spec, "the bird"), reply="BIRD", context="the bird", vod_id="v1",
                      offset_ms=100_000, pair_id="test-0")
    dataset = EvalDataset("ds-a", "test", [example, example], spec, "salt", frozenset(), [], [])
    entries = [{"pair_id": "t0", "vod_id": "v1", "offset_ms": 350_000, "context": "the bird again", "reply": "KEKW"},
               {"pair_id": "t1", "vod_id": "v1", "offset_ms": 450_000, "context": "the bird is back", "reply": "o7"}]
    path = write_memory_index(tmp_path / "memory.json", "ds-a", entries)
    got = memory_prompts(str(path), dataset, None)
    assert got.recalled[0] == ["t1"]  # t0 is 250 s from the example: inside the window
    assert got.prompts[0][1]["content"] == 'Earlier, when the streamer said "the bird is back", chat said "o7".\nStreamer: the bird'
    with pytest.raises(BadInput, match=r"indexes dataset ds-a, not ds-b"):
        memory_prompts(str(path), EvalDataset("ds-b", "test", [example], spec, "s", frozenset(), [], []), None)
    old = {k: v for k, v in spec.items() if k != "memory"}
    with pytest.raises(BadInput, match=r"prompt spec .* has no memory block"):
        memory_prompts(str(path), EvalDataset("ds-a", "test", [example], old, "s", frozenset(), [], []), None)


def test_memory_gain_is_paired_per_context() -> None:
    from dougpt_gpu.evaluate.memory_side import gain

    without = [[0.1, 0.5, 0.9], [0.9, 0.1, 0.2], [0.3, 0.2, 0.1]]  # real reply first: ranks 3, 1, 1
    with_memory = [[0.95, 0.5, 0.9], [0.9, 0.1, 0.2], [0.1, 0.2, 0.3]]  # ranks 1, 1, 3
    got = gain(with_memory, without, seed=0)
    assert got["r_at_1_gain"] == pytest.approx(0.0)
    assert got["mrr_gain"] == pytest.approx(((1 - 1 / 3) + 0 + (1 / 3 - 1)) / 3)
    assert got["r_at_10_gain"] == 0.0 and got["r_at_10_gain_ci95"] == [0.0, 0.0]


def test_training_rows_are_rendered_with_their_own_recalled_moments(tmp_path: Path) -> None:
    from dougpt_gpu.memory.prompts import open_memory, rows_with_memory
    from dougpt_gpu.train.sample_data import write_dataset

    folder = tmp_path / "ds"
    write_dataset(folder, rows=160, seed=1, validation=4)  # 4 s apart: 10+ minutes of one VOD
    dataset_id = json.loads((folder / "dataset.json").read_text())["dataset_id"]
    rows = [json.loads(line) for line in (folder / "sft" / "train.jsonl").read_text().splitlines()]
    entries = [{"pair_id": r["pair_id"], "vod_id": r["vod_id"], "offset_ms": r["offset_ms"], "context": r["context"],
                "reply": r["completion"][0]["content"]} for r in rows]
    path = write_memory_index(tmp_path / "memory.json", dataset_id, entries)
    index, spec = open_memory(str(path), str(folder), dataset_id)
    rendered, recalled = rows_with_memory(rows, index, spec)
    assert 0 < recalled <= len(rows) and len(rendered) == len(rows)
    by_id = {e["pair_id"]: e for e in entries}
    for row, new in zip(rows, rendered):
        moments = index.recall(row["context"], row["vod_id"], row["offset_ms"], row["pair_id"])
        assert row["pair_id"] not in [m.entry.pair_id for m in moments]
        assert all(abs(by_id[m.entry.pair_id]["offset_ms"] - row["offset_ms"]) > 300_000 or by_id[m.entry.pair_id]["vod_id"] != row["vod_id"] for m in moments)
        assert new["prompt"] == render_messages(spec, row["context"], [(m.entry.context, m.entry.reply) for m in moments])
        assert new["completion"] == row["completion"] and (new["prompt"] == row["prompt"]) == (not moments)
    with pytest.raises(BadInput, match=r"indexes dataset ds-other"):
        open_memory(str(write_memory_index(tmp_path / "other.json", "ds-other", entries)), str(folder), dataset_id)


def test_train_job_memory_options_are_checked(tmp_path: Path) -> None:
    from dougpt_gpu.train.job import TrainJob

    with pytest.raises(BadInput, match=r"memory: .*nope.json: file not found"):
        TrainJob.from_dict({"dataset": str(tmp_path), "out": str(tmp_path / "run"), "memory": str(tmp_path / "nope.json")})
    path = write_memory_index(tmp_path / "memory.json", "ds", [])
    with pytest.raises(BadInput, match=r"memory: the preference stage"):
        TrainJob.from_dict({"dataset": str(tmp_path), "out": str(tmp_path / "run"), "memory": str(path), "stages": ["sft", "dpo"]})
    job = TrainJob.from_dict({"dataset": str(tmp_path), "out": str(tmp_path / "run"), "memory": str(path)})
    assert "memory" not in job.config()  # the index's sha256 joins the run's identity, not its path


def test_an_adapter_trained_with_memory_carries_its_index(tmp_path: Path) -> None:
    """The server serves an adapter with the index it was trained with: the run copies it beside the adapter and
    run.json names the file and its sha256 (functions/reply/open-reply-stack.ts adapterMemory checks both)."""
    import hashlib

    from train_fixtures import make_dataset, smoke_job, trained

    folder = make_dataset(tmp_path / "ds", rows=24, validation=4)
    dataset_id = json.loads((folder / "dataset.json").read_text())["dataset_id"]
    rows = [json.loads(line) for line in (folder / "sft" / "train.jsonl").read_text().splitlines()]
    entries = [{"pair_id": r["pair_id"], "vod_id": "other-vod", "offset_ms": r["offset_ms"], "context": r["context"],
                "reply": r["completion"][0]["content"]} for r in rows]
    path = write_memory_index(tmp_path / "memory.json", dataset_id, entries)
    out = tmp_path / "out"
    trained(smoke_job(folder, out, memory=str(path), optim={"max_steps": 2}), tmp_path)
    run = json.loads((out / "run.json").read_text())
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    assert run["memory"]["file"] == "memory.json" and run["memory"]["sha256"] == sha256
    assert run["memory"]["rows_with_memory"] > 0
    assert (out / "memory.json").read_bytes() == path.read_bytes()


def test_an_adapter_trained_with_memory_is_evaluated_with_its_index_unless_told_otherwise(tmp_path: Path) -> None:
    from dougpt_gpu.evaluate.memory_side import resolve_memory

    own = write_memory_index(tmp_path / "memory.json", "ds", [])
    other = str(write_memory_index(tmp_path / "other.json", "ds", []))
    trained = {"memory": {"file": "memory.json", "sha256": "x"}}
    assert resolve_memory(None, None, {}, tmp_path) == (None, False)
    assert resolve_memory(None, None, trained, tmp_path) == (str(own), True)
    assert resolve_memory(None, False, trained, tmp_path) == (None, False)
    assert resolve_memory(other, None, trained, tmp_path) == (other, True)
    assert resolve_memory(other, False, trained, tmp_path) == (other, False)
    assert resolve_memory(other, None, {}, tmp_path) == (other, False)  # a plain adapter: memory is the extra pass
    assert resolve_memory(other, True, {}, tmp_path) == (other, True)
    with pytest.raises(BadInput, match="serve_memory: needs memory"):
        resolve_memory(None, True, {}, tmp_path)
    own.unlink()
    with pytest.raises(BadInput, match="trained with voice memory but its index"):
        resolve_memory(None, None, trained, tmp_path)
