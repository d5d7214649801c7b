"""The `train` job: a dataset folder in, a LoRA adapter (PEFT folder + GGUF LoRA) and run.json out.

    python -m dougpt_gpu train --input job.json
"""
