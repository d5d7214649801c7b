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
from test_prompt_parity import AWKWARD
from train_fixtures import REPO

from dougpt_gpu.errors import BadInput
from dougpt_gpu.memory.index import load_memory_index, memory_words
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


def _index(tmp_path: Path, entries: list[dict]) -> Path:
    """An index file as the builder writes it (the builder is TypeScript: this mirrors its fields for rule tests)."""
    import math

    df: dict[str, int] = {}
    total = 0
    for e in entries:
        ws = memory_words(e["context"])
        total += len(ws)
        for w in set(ws):
            df[w] = df.get(w, 0) + 1
    n = len(entries)
    idf = [[w, math.log(1 + (n - d + 0.5) / (d + 0.5))] for w, d in sorted(df.items())]
    path = tmp_path / "memory.json"
    path.write_text(json.dumps({"rule": "dougpt-memory/1", "dataset_id": "ds", "k1": 1.2, "b": 0.75, "k": 3,
                                "exclude_ms": 300_000, "n": n, "avgdl": total / n, "idf": idf, "entries": entries}))
    return path


def test_recall_rules(tmp_path: Path) -> None:
    entries = [
        {"pair_id": "a1", "vod_id": "a", "offset_ms": 60_000, "context": "penguin lava", "reply": "x"},
        {"pair_id": "a2", "vod_id": "a", "offset_ms": 360_000, "context": "penguin lava again", "reply": "x"},
        {"pair_id": "a3", "vod_id": "a", "offset_ms": 360_001, "context": "the penguin lava jump", "reply": "x"},
        {"pair_id": "b1", "vod_id": "b", "offset_ms": 0, "context": "penguin lava", "reply": "y"},
        {"pair_id": "b2", "vod_id": "b", "offset_ms": 0, "context": "penguin", "reply": "y"},
        {"pair_id": "c1", "vod_id": "c", "offset_ms": 0, "context": "rocket", "reply": "z"},
    ]
    index = load_memory_index(_index(tmp_path, entries))
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
