"""The `transcribe` job: audio file in, word-timed Transcript JSON out."""
