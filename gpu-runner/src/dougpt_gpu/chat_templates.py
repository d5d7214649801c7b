"""Chat template families: the Python twin of functions/prompt/chat-templates.ts, and the check that a base's own
template is one of them (the trainer refuses a base whose prompts the server could not render byte for byte).
"""

from __future__ import annotations

from typing import Any

from .errors import BadInput

FAMILIES = ("chatml", "llama3", "mistral", "gemma")
_PROBE = [{"role": "system", "content": "SYSTEM TEXT"}, {"role": "user", "content": "USER TEXT"}]


def family_messages(family: str, messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Gemma has no system role: the system text opens the first user turn, then a blank line."""
    if family != "gemma" or not messages or messages[0]["role"] != "system":
        return [dict(m) for m in messages]
    system, first, *rest = messages
    if first["role"] != "user":
        raise BadInput("gemma: a system turn must be followed by a user turn")
    return [{"role": "user", "content": f"{system['content']}\n\n{first['content']}"}, *(dict(m) for m in rest)]


def _render_mistral(messages: list[dict[str, str]], bos: str, eos: str) -> str:
    """Mistral-7B-Instruct-v0.3's template without tools: the system text joins the user turn only when that turn is
    the conversation's last; user and assistant alternate; a reply is trimmed and ends with EOS; no generation prompt."""
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else None
    turns = messages[1:] if system is not None else messages
    out = bos
    for i, m in enumerate(turns):
        if (m["role"] == "user") != (i % 2 == 0):
            raise BadInput("mistral: conversation roles must alternate user/assistant")
        if m["role"] == "user":
            out += f"[INST] {system}\n\n{m['content']}[/INST]" if system is not None and i == len(turns) - 1 else f"[INST] {m['content']}[/INST]"
        else:
            out += f" {m['content'].strip()}{eos}"
    return out


def render_chat_template(family: str, messages: list[dict[str, str]], add_generation_prompt: bool = True, bos: str = "",
                         eos: str = "") -> str:
    turns = family_messages(family, messages)
    if family == "chatml":
        return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in turns) + (
            "<|im_start|>assistant\n" if add_generation_prompt else "")
    if family == "llama3":
        return bos + "".join(f"<|start_header_id|>{m['role']}<|end_header_id|>\n\n{m['content'].strip()}<|eot_id|>" for m in turns) + (
            "<|start_header_id|>assistant<|end_header_id|>\n\n" if add_generation_prompt else "")
    if family == "mistral":
        return _render_mistral(turns, bos, eos)
    if family == "gemma":
        return bos + "".join(
            f"<start_of_turn>{'model' if m['role'] == 'assistant' else m['role']}\n{m['content'].strip()}<end_of_turn>\n" for m in turns
        ) + ("<start_of_turn>model\n" if add_generation_prompt else "")
    raise BadInput(f"chat template family {family!r} is not one of {', '.join(FAMILIES)}")


def detect_family(tokenizer: Any, where: str) -> str:
    """The family whose rendering the tokenizer's own chat template reproduces on a probe conversation (with and
    without the generation prompt, and with a reply); bad input naming the base when there is none."""
    bos, eos = tokenizer.bos_token or "", tokenizer.eos_token or ""
    probes = [(_PROBE, True), (_PROBE, False), ([*_PROBE, {"role": "assistant", "content": "REPLY"}], False)]
    for family in FAMILIES:
        try:
            if all(tokenizer.apply_chat_template(family_messages(family, m), tokenize=False, add_generation_prompt=g)
                   == render_chat_template(family, m, g, bos, eos) for m, g in probes):
                return family
        except Exception:  # noqa: BLE001 - a template that raises on these turns is not this family
            continue
    sample = str(tokenizer.apply_chat_template(_PROBE, tokenize=False, add_generation_prompt=True))[:80] if tokenizer.chat_template else None
    raise BadInput(f"{where}: the base's chat template is none of the families the server renders ({', '.join(FAMILIES)}); "
                   f"it renders a probe as {sample!r}. Use a ChatML (SmolLM2, Qwen2.5), Llama 3, Mistral or Gemma instruct base")


_FAMILY_OF: dict[tuple[str, str, str], str] = {}


def family_of(tokenizer: Any) -> str:
    """detect_family, remembered per template text (and BOS/EOS): the family the trainer and evaluator render in."""
    key = (str(tokenizer.chat_template), tokenizer.bos_token or "", tokenizer.eos_token or "")
    if key not in _FAMILY_OF:
        _FAMILY_OF[key] = detect_family(tokenizer, "base")
    return _FAMILY_OF[key]


def prompt_text(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The tokenizer's own chat template over the turns as its family takes them (Gemma: the system text folded into
    the first user turn), ending where the model's reply starts: what training, evaluation and the server render."""
    return str(tokenizer.apply_chat_template(family_messages(family_of(tokenizer), messages), tokenize=False,
                                             add_generation_prompt=True))
