"""The SFT adapter kept is the one with the lowest validation loss, not the last: the validation split selects, the
test split only judges (the evaluation never sees a choice made on it).

The trainer evaluates on the validation split at every checkpoint step and once at the end; `BestOnValidation`
keeps a copy of the LoRA weights at the best evaluation (a few MB for r16) and puts them back when training ends.
After a resume, the choice is among the evaluations made since (the weights of an earlier best are not in the
checkpoint), and the run records which step it kept.
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback


class BestOnValidation(TrainerCallback):
    """Remembers the adapter weights of the lowest `eval_loss`; `restore(model)` loads them back."""

    def __init__(self) -> None:
        self.curve: list[tuple[int, float]] = []
        self.best_step: int | None = None
        self.best_loss: float | None = None
        self._weights: dict[str, Any] | None = None

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):  # type: ignore[override]
        loss = (metrics or {}).get("eval_loss")
        if loss is None or model is None:
            return
        step = int(state.global_step)
        if self.curve and self.curve[-1][0] == step:
            self.curve[-1] = (step, float(loss))  # the final evaluation at a step already evaluated
        else:
            self.curve.append((step, float(loss)))
        if self.best_loss is None or float(loss) < self.best_loss:
            from peft import get_peft_model_state_dict

            self.best_step, self.best_loss = step, float(loss)
            self._weights = {k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}

    def restore(self, model: Any) -> bool:
        """Load the best weights into `model`; False when the last evaluation was the best (nothing to do)."""
        if self._weights is None or not self.curve or self.curve[-1][0] == self.best_step:
            return False
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(model, self._weights)
        return True

    def as_json(self) -> dict[str, Any]:
        return {
            "selected_step": self.best_step,
            "selected_validation_loss": None if self.best_loss is None else round(self.best_loss, 6),
            "validation_curve": [{"step": step, "loss": round(loss, 6)} for step, loss in self.curve],
        }
