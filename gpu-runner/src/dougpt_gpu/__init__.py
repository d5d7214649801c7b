"""DougPT Python jobs: `python -m dougpt_gpu <job> --input job.json`."""
