"""DougPT's Python jobs.

    python -m dougpt_gpu transcribe --input job.json
    python -m dougpt_gpu eval --input job.json
    python -m dougpt_gpu train --input job.json
    python -m dougpt_gpu models [--json] [--prepare]
    python -m dougpt_gpu models --merge-lora ADAPTER.gguf --base BASE.gguf --out MERGED.gguf [--type q8_0]

Reads one job as JSON, writes JSON lines on stdout (progress events, then one result or error event),
logs on stderr. Exit 0 success, 2 bad input, 1 failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from .errors import BadInput, JobFailed
from .events import emit
from .orphan_guard import start_orphan_guard

JOBS = ("transcribe", "eval", "train")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dougpt_gpu", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="job", required=True, metavar="JOB")
    transcribe = sub.add_parser(
        "transcribe",
        help="speech to word-timed transcript (faster-whisper or pocketsphinx)",
        description="Transcribe one audio file to a Transcript JSON file. The job JSON is a TranscribeJob "
        "(see dougpt_gpu/transcribe/job.py for every field and its default).",
    )
    transcribe.add_argument("--input", required=True, help="path of the job JSON, or - for stdin")
    transcribe.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    evaluate = sub.add_parser(
        "eval",
        help="base, candidate and promoted adapter side by side on a held-out split: metrics, gates, report",
        description="Evaluate a LoRA adapter against the base model (and the promoted adapter). The job JSON is an "
        "EvalJob (see dougpt_gpu/evaluate/job.py for every field and its default).",
    )
    evaluate.add_argument("--input", required=True, help="path of the job JSON, or - for stdin")
    evaluate.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    train = sub.add_parser(
        "train",
        help="LoRA/QLoRA fine-tune of a base model on a dataset folder",
        description="Train a LoRA adapter on a dataset folder (docs/model-layer.md). The job JSON is a TrainJob "
        "(see dougpt_gpu/train/job.py for every field and its default): dataset, out, preset, and any override, "
        'e.g. {"dataset": "ds", "out": "run", "preset": "cpu", "optim": {"max_steps": 50}}.',
        epilog=_preset_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--input", required=True, help="path of the job JSON, or - for stdin")
    train.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    models = sub.add_parser(
        "models",
        help="list the base models with their paths (hf_dir for training, gguf for serving) and sha256",
        description="List the embedded base models: name, hf_dir (safetensors folder), gguf, sha256, converted.",
    )
    models.add_argument("--json", action="store_true", help="print one JSON array on stdout")
    models.add_argument("--prepare", action="store_true", help="convert embedded models not converted yet (~15-40 s)")
    models.add_argument(
        "--merge-lora",
        metavar="ADAPTER_GGUF",
        help="fold a GGUF LoRA into --base and write one GGUF to --out (prints one JSON object)",
    )
    models.add_argument("--base", metavar="BASE_GGUF", help="with --merge-lora: the base model's GGUF")
    models.add_argument("--out", metavar="GGUF", help="with --merge-lora: the merged GGUF to write")
    models.add_argument("--type", default="q8_0", help="with --merge-lora: q8_0 (default), f16 or f32 for adapted weights")
    models.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    return parser


def _preset_help() -> str:
    from .train.presets import PRESETS

    return "presets:\n" + "\n".join(f"  {name:<10} {preset.summary}" for name, preset in PRESETS.items())


def _models(args: argparse.Namespace) -> int:
    """`models`: a listing, not a job (no job JSON, no events): `--json` prints one array."""
    from .models.registry import EMBEDDED, as_json, list_models, resolve_base

    if args.merge_lora:
        from .models.merge_lora import merge_lora

        if not args.base or not args.out:
            sys.stderr.write("dougpt_gpu: --merge-lora needs --base and --out\n")
            return 2
        try:
            merged = merge_lora(Path(args.base), Path(args.merge_lora), Path(args.out), args.type)
        except BadInput as error:
            sys.stderr.write(f"dougpt_gpu: {error}\n")
            return 2
        sys.stdout.write(json.dumps(merged) + "\n")
        return 0
    try:
        if args.prepare:
            for name in EMBEDDED:
                resolve_base(name)
        listed = list_models()
    except BadInput as error:
        sys.stderr.write(f"dougpt_gpu: {error}\n")
        return 2
    if args.json:
        sys.stdout.write(json.dumps([as_json(m) for m in listed]) + "\n")
        return 0
    for m in listed:
        state = "converted" if m.converted else "not converted yet (first use or --prepare converts it)"
        sys.stdout.write(f"{m.name}  ({m.source}, {state})\n  hf_dir {m.hf_dir}\n  gguf   {m.gguf}\n  sha256 {m.sha256}\n")
    return 0


def _read_job(source: str) -> dict:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise BadInput(f"{source}: cannot read job file ({error.strerror})") from error
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{source}: job file is not JSON ({error.msg} at line {error.lineno})") from error
    if not isinstance(value, dict):
        raise BadInput(f"{source}: job file must hold a JSON object")
    return value


def _interrupt(signum: int, _frame: object) -> None:
    # The runner cancels with SIGTERM: end like Ctrl-C, so worker processes are stopped and an error line written.
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.job == "models":
        return _models(args)
    # A job never outlives its runner (a killed worker's retry must not race an orphan on the same files).
    start_orphan_guard()
    try:
        raw = _read_job(args.input)
        # Imported here so `--help` never pays for numpy or the speech engines.
        if args.job == "train":
            from .train.launch import launch, should_launch
            from .train.run import run_train

            if should_launch(raw):
                # Several processes: this one starts and watches the ranks; rank 0's lines are the job's.
                return launch(raw, args.log_level)
            result = run_train(raw)
        elif args.job == "eval":
            from .evaluate.run import run_eval

            result = run_eval(raw)
        else:
            from .transcribe.run import run_transcribe

            result = run_transcribe(raw)
        emit("result", **result)
        return 0
    except BadInput as error:
        return _fail("bad-input", str(error), 2)
    except KeyboardInterrupt:
        _stopped.set()
        return _fail("failed", "interrupted", 1)
    except JobFailed as error:
        return _fail("failed", str(error), 1)
    except Exception as error:  # noqa: BLE001 - the boundary: every other error is a failure with its type named
        logging.getLogger("dougpt_gpu").exception("job failed")
        return _fail("failed", f"{type(error).__name__}: {error}", 1)


def _fail(kind: str, message: str, code: int) -> int:
    line = message.splitlines()[0] if message else kind
    emit("error", kind=kind, message=line)
    sys.stderr.write(f"dougpt_gpu: {line}\n")
    return code


# Set when the job was stopped: the process then ends at once, without the exit handlers that join worker
# pools and queue threads (a terminated worker can leave their locks taken, and a stop must not wait on them).
_stopped = threading.Event()


if __name__ == "__main__":
    code = main()
    if _stopped.is_set():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
