"""Each chat template family the server renders (functions/prompt/chat-templates.ts) is byte-identical to the base
tokenizer's own template, which the trainer applies: checked against the original templates (ChatML: SmolLM2's
tokenizer and Qwen2.5's template; Llama 3 and Gemma: their original Jinja templates, shipped in TRL's package;
Mistral: Mistral-7B-Instruct-v0.3's template without its tool branches, shipped with these tests), and the Python twin
(dougpt_gpu/chat_templates.py) against both. The TypeScript detection of a GGUF's family (what the server renders in)
is checked on the same originals. A base of another family is refused at train time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_prompt_parity import AWKWARD
from train_fixtures import REPO, smollm2_dir

from dougpt_gpu.chat_templates import FAMILIES, detect_family, family_messages, prompt_text, render_chat_template
from dougpt_gpu.errors import BadInput

BOS = {"chatml": "", "llama3": "<|begin_of_text|>", "mistral": "<s>", "gemma": "<bos>"}
EOS = {"chatml": "<|im_end|>", "llama3": "<|eot_id|>", "mistral": "</s>", "gemma": "<eos>"}
ORIGINALS = {"chatml": ["qwen2_5.jinja"], "llama3": ["llama3.jinja"], "mistral": ["mistral_instruct_v0_3.jinja"],
             "gemma": ["gemma.jinja"]}
FIXTURES = Path(__file__).parent / "fixtures" / "chat_templates"


def _template(name: str) -> str:
    import trl

    path = FIXTURES / name if (FIXTURES / name).is_file() else Path(trl.__file__).parent / "chat_templates" / name
    assert path.is_file(), f"{path}: TRL's original chat template is missing"
    return path.read_text(encoding="utf-8")


def conversations() -> list[tuple[list[dict[str, str]], bool]]:
    """(turns, add_generation_prompt): prompts of awkward contexts and memories, some with the real reply."""
    spec = json.loads((REPO / "functions" / "prompt" / "prompt-spec.json").read_text(encoding="utf-8"))
    from dougpt_gpu.prompt_spec import render_messages

    out = []
    for i, context in enumerate(AWKWARD):
        memories = [(AWKWARD[(i + 5) % len(AWKWARD)], AWKWARD[(i + 9) % len(AWKWARD)] or "LUL")] if i % 2 else []
        turns = render_messages(spec, context, memories)
        out.append((turns, True))
        out.append(([*turns, {"role": "assistant", "content": AWKWARD[(i + 3) % len(AWKWARD)]}], False))
    return out


def render_in_typescript(items: list[tuple[list[dict[str, str]], bool]], tmp_path: Path) -> dict[str, list[str]]:
    npx = shutil.which("npx")
    assert npx is not None and (REPO / "node_modules" / "tsx").is_dir(), "needs node and the repository's node_modules"
    source = tmp_path / "turns.json"
    originals = {family: _template(names[0]) for family, names in ORIGINALS.items()} | {"phi3": _template("phi3.jinja")}
    source.write_text(json.dumps({"items": items, "bos": BOS, "eos": EOS, "originals": originals}, ensure_ascii=False), encoding="utf-8")
    module = (REPO / "functions" / "prompt" / "chat-templates.ts").as_posix()
    script = (
        "import { readFileSync } from 'node:fs';"
        f"import {{ CHAT_TEMPLATE_FAMILIES, detectChatTemplateFamily, renderChatTemplate }} from '{module}';"
        "const { items, bos, eos, originals } = JSON.parse(readFileSync(process.env.PARITY_TURNS, 'utf8'));"
        "const out = Object.fromEntries(CHAT_TEMPLATE_FAMILIES.map((f) => [f, items.map(([t, g]) => renderChatTemplate(f, t, g, bos[f], eos[f]))]));"
        "out.detected = Object.fromEntries(Object.entries(originals).map(([f, j]) => [f, detectChatTemplateFamily(j, bos[f] ?? '<s>', eos[f] ?? '</s>')]));"
        "process.stdout.write(JSON.stringify(out));"
    )
    proc = subprocess.run([npx, "tsx", "-e", script], capture_output=True, text=True, encoding="utf-8", cwd=REPO,
                          env={**os.environ, "PARITY_TURNS": str(source)}, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_every_family_renders_as_its_original_template(tmp_path: Path) -> None:
    from transformers import AutoTokenizer
    from transformers.utils.chat_template_utils import _compile_jinja_template

    items = conversations()
    ts = render_in_typescript(items, tmp_path)
    detected = ts.pop("detected")
    assert sorted(ts) == sorted(FAMILIES)
    # The server knows a GGUF's family from its own template, as the trainer knows a tokenizer's.
    assert detected == {**{family: family for family in FAMILIES}, "phi3": None}
    smollm2 = AutoTokenizer.from_pretrained(str(smollm2_dir()))
    mismatches = []
    for family in FAMILIES:
        originals = [_compile_jinja_template(_template(name)) for name in ORIGINALS[family]]
        for (turns, gen), rendered in zip(items, ts[family]):
            expected = [t.render(messages=family_messages(family, turns), add_generation_prompt=gen, bos_token=BOS[family],
                                 eos_token=EOS[family]) for t in originals]
            if family == "chatml":
                expected.append(smollm2.apply_chat_template(turns, tokenize=False, add_generation_prompt=gen))
            expected.append(render_chat_template(family, turns, gen, BOS[family], EOS[family]))
            for e in expected:
                if e.encode("utf-8") != rendered.encode("utf-8"):
                    mismatches.append((family, turns[-1]["content"][:30], e[-60:], rendered[-60:]))
    assert not mismatches, mismatches[:3]
    assert ts["gemma"][0].startswith("<bos><start_of_turn>user\nYou are Twitch chat")  # the system text opens the user turn


def test_the_trainer_knows_a_base_by_its_template_and_refuses_other_families() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(smollm2_dir()))
    assert detect_family(tokenizer, "smollm2") == "chatml"
    for family in ("llama3", "mistral", "gemma", "chatml"):
        tokenizer.chat_template = _template(ORIGINALS[family][0])
        tokenizer.bos_token = BOS[family] or "<|endoftext|>"  # the template reads the tokenizer's own
        tokenizer.eos_token = EOS[family]
        assert detect_family(tokenizer, family) == family
        # What training and evaluation tokenize: the tokenizer's own template over the turns as its family takes them.
        turns, _ = conversations()[1 * 2]
        assert prompt_text(tokenizer, turns) == render_chat_template(family, turns, True, tokenizer.bos_token, EOS[family])
    tokenizer.chat_template = _template("phi3.jinja")
    with pytest.raises(BadInput, match=r"phi: the base's chat template is none of the families .*chatml, llama3, mistral, gemma"):
        detect_family(tokenizer, "phi")
