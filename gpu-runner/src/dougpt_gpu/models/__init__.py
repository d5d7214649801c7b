"""Base models for training and serving: the embedded SmolLM2 and local Hugging Face folders.

    python -m dougpt_gpu models [--json] [--prepare]
"""
