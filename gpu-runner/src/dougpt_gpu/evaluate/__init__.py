"""The `eval` job: base, candidate and promoted adapters side by side on a held-out split, gated, reported.

    python -m dougpt_gpu eval --input job.json
"""
