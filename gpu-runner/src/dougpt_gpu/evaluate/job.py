"""The `eval` job's options: one dataclass per concern, defaults and help on every field.

    python -m dougpt_gpu eval --input job.json

`EvalJob.from_dict` turns the job JSON into these, naming the field that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from ..errors import BadInput
from ..job_options import build
from ..job_options import help_field as _help

Device = Literal["auto", "cpu", "cuda"]
Dtype = Literal["auto", "float32", "bfloat16", "float16"]
_LITERALS = ("Device", "Dtype")

PACKAGE_DIR = Path(__file__).parent
DEFAULT_GATES = PACKAGE_DIR / "gates.json"
DEFAULT_BANNED_PHRASES = PACKAGE_DIR / "banned_phrases.txt"


@dataclass(frozen=True)
class GenerationOptions:
    """One sampled reply per test context: the same seed and batches for every model, so runs repeat exactly."""

    seed: int = _help("seed of the sampler (batch k samples with seed + k)", default=0)
    max_new_tokens: int | None = _help("reply length limit in tokens (null: the prompt spec's reply.max_tokens)", default=None)
    temperature: float = _help("sampling temperature (the TS side sends functions/prompt/sampling.json's)", default=0.8)
    top_p: float = _help("nucleus sampling mass", default=0.95)
    top_k: int = _help("sample among the k likeliest tokens (0: all); the server's default is 40", default=40)
    stop: tuple[str, ...] = _help("a sampled reply ends at the first of these, as the server's does", default=("\n",))

    def __post_init__(self) -> None:
        if self.top_k < 0:
            raise BadInput("generation.top_k: must be >= 0 (0: all tokens)")
        if any(not isinstance(s, str) or not s for s in self.stop):
            raise BadInput("generation.stop: must be a list of non-empty strings")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise BadInput("generation.max_new_tokens: must be >= 1")
        if self.temperature <= 0 or not 0 < self.top_p <= 1:
            raise BadInput("generation: need temperature > 0 and 0 < top_p <= 1")


@dataclass(frozen=True)
class EvalJob:
    """A candidate adapter (and the promoted one, when given) against the base model on one split of a dataset."""

    dataset: str = _help("dataset folder (dataset.json, prompt_spec.json, viewers.json, sft/<split>.jsonl)")
    adapter: str = _help("training run folder (its adapter/ is the PEFT folder) or a PEFT folder itself")
    promoted: str | None = _help("the promoted adapter's run folder or PEFT folder (null: none yet)", default=None)
    split: str = _help("split to evaluate on", default="test")
    limit: int | None = _help("evaluate this many examples, spread evenly over the split (null: all)", default=None)
    out: str | None = _help("folder that receives <eval_id>/ (null: <adapter run folder>/eval)", default=None)
    base: str | None = _help(
        "base model: a registry name or a Hugging Face folder (null: the run's run.json base, else smollm2-135m)",
        default=None,
    )
    gates: str | None = _help("gates file (null: the versioned gates.json beside this module)", default=None)
    banned_phrases: str | None = _help(
        "banned phrases, one per line, # comments (null: banned_phrases.txt beside this module)", default=None
    )
    generation: GenerationOptions = _help("sampling options", default_factory=GenerationOptions)
    toxicity_check: tuple[str, ...] | None = _help(
        "argv of the server's toxicity guardrail as a command (a JSON array of strings on stdin, a JSON array of "
        "booleans on stdout), so the gate counts what the server refuses; the TS side sends it (null: "
        "alt-profanity-check, a different classifier: the result says which one counted)",
        default=None,
    )
    batch_size: int = _help("sequences per forward pass (log-likelihood and generation)", default=16)
    device: Device = _help("cpu, cuda, or auto (cuda when torch sees a GPU)", default="auto")
    dtype: Dtype = _help("weights dtype (auto: float32 on CPU, bfloat16 on CUDA)", default="auto")
    threads: int = _help("torch CPU threads (0: torch's default)", default=0)
    classifier_folds: int = _help("cross-validation folds of the real-vs-generated classifier", default=5)
    ranking_candidates: int = _help(
        "candidates ranked per context: the real reply and distractors from the training split (fewer when the "
        "training split has fewer distinct replies)",
        default=100,
    )
    report_samples: int = _help("sample contexts shown in report.html", default=30)
    memory: str | None = _help(
        "voice memory index (a dataset's memory.json): rank every context again with its recalled moments in the "
        "prompt, per model, and report the gain (null: no memory)",
        default=None,
    )
    memory_k: int | None = _help("moments recalled per context (null: the index's k)", default=None)
    serve_memory: bool | None = _help(
        "evaluate every model as a server with the memory serves it: every prompt (scored, sampled and ranked) "
        "carries its recalled moments, and `memory` reports the ranking without them as the reference (null: yes "
        "when the adapter was trained with memory, whose index it then uses when `memory` is null)",
        default=None,
    )

    def __post_init__(self) -> None:
        if not Path(self.dataset).is_dir():
            raise BadInput(f"{self.dataset}: dataset folder not found")
        for name in ("adapter", "promoted"):
            value = getattr(self, name)
            if value is not None and not Path(value).is_dir():
                raise BadInput(f"{name}: {value}: folder not found")
        for name in ("gates", "banned_phrases"):
            value = getattr(self, name)
            if value is not None and not Path(value).is_file():
                raise BadInput(f"{name}: {value}: file not found")
        if not self.split or "/" in self.split:
            raise BadInput(f"split: {self.split!r} is not a split name")
        if self.limit is not None and self.limit < 2:
            raise BadInput("limit: must be >= 2 (contextual lift needs another example's context)")
        if self.device not in get_args(Device):
            raise BadInput(f"device: {self.device!r} is not one of {', '.join(get_args(Device))}")
        if self.dtype not in get_args(Dtype):
            raise BadInput(f"dtype: {self.dtype!r} is not one of {', '.join(get_args(Dtype))}")
        if self.batch_size < 1 or self.threads < 0 or self.classifier_folds < 2 or self.report_samples < 0:
            raise BadInput("need batch_size >= 1, threads >= 0, classifier_folds >= 2, report_samples >= 0")
        if self.toxicity_check is not None and (not self.toxicity_check or not all(
                isinstance(a, str) and a for a in self.toxicity_check)):
            raise BadInput("toxicity_check: must be a non-empty list of non-empty strings (an argv) or null")
        if self.memory is not None and not Path(self.memory).is_file():
            raise BadInput(f"memory: {self.memory}: file not found")
        if self.memory_k is not None and self.memory_k < 1:
            raise BadInput("memory_k: must be >= 1")
        if self.ranking_candidates < 2:
            raise BadInput("ranking_candidates: must be >= 2 (the real reply and at least one distractor)")

    @property
    def gates_path(self) -> Path:
        return Path(self.gates) if self.gates else DEFAULT_GATES

    @property
    def banned_phrases_path(self) -> Path:
        return Path(self.banned_phrases) if self.banned_phrases else DEFAULT_BANNED_PHRASES

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> EvalJob:
        """Build from job JSON; unknown or mistyped fields are bad input naming the field."""
        for key in ("dataset", "adapter"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise BadInput(f"{key}: required, a folder path")
        values = dict(raw)
        if "generation" in values:
            values["generation"] = build(GenerationOptions, values["generation"], "generation", _LITERALS)
        return build(EvalJob, values, "job", _LITERALS)

