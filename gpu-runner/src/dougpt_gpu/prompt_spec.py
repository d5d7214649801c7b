"""The prompt spec rendered in Python: the twin of functions/prompt/prompt-spec.ts's renderContext, renderMemory and
renderMessages, byte for byte (gpu-runner/tests/test_prompt_parity.py compares both on awkward inputs).

The dataset builder renders the training prompts in TypeScript; the evaluator and the trainer render here what the
dataset does not hold: a prompt with recalled moments (the voice memory), the empty-context reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import BadInput

# JavaScript's `\s` (what prompt-spec.ts splits on): Python's str.split() knows other characters as space.
_JS_SPACE = re.compile("[\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")
_ITEM_FIELD = re.compile(r"\{(context|reply)\}")


def words(text: str) -> list[str]:
    return [w for w in _JS_SPACE.split(text) if w]


def render_context(spec: Mapping[str, Any], context: str) -> str:
    """Whitespace collapsed, the last `max_words` words kept; the spec's `empty` text when nothing was said."""
    kept = words(context)
    if not kept:
        return str(spec["context"]["empty"])
    return " ".join(kept[-int(spec["context"]["max_words"]):])


def render_memory(spec: Mapping[str, Any], memories: Sequence[tuple[str, str]], rendered_context: str) -> str:
    """The memory block ('' when none): `memories` are (context, reply) pairs, best first. See renderMemory."""
    if not memories:
        return ""
    m = spec.get("memory")
    if not isinstance(m, Mapping):
        raise BadInput(f"prompt spec {spec.get('version')} has no memory block: it cannot render recalled moments")
    budget = int(m["budget_words"]) - len(words(rendered_context))
    lines: list[str] = []
    used = 0
    for context, reply_text in list(memories)[: int(m["max_items"])]:
        reply = " ".join(words(reply_text))
        if not reply:
            continue
        said = " ".join(words(context)[-int(m["max_context_words"]):]) or str(spec["context"]["empty"])
        line = _ITEM_FIELD.sub(lambda match: said if match.group(1) == "context" else reply, str(m["item"]))
        cost = len(words(line))
        if used + cost > budget:
            break
        lines.append(line)
        used += cost
    return str(m["separator"]).join(lines) + str(m["after"]) if lines else ""


def render_messages(spec: Mapping[str, Any], context: str, memories: Sequence[tuple[str, str]] = ()) -> list[dict[str, str]]:
    """The system and user turns for a context, with the memory block first in the user turn."""
    rendered = render_context(spec, context)
    user = render_memory(spec, memories, rendered) + str(spec["user_template"]).replace("{context}", rendered, 1)
    return [{"role": "system", "content": str(spec["system"])}, {"role": "user", "content": user}]
