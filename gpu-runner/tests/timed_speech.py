"""Connected espeak-ng speech with the true start of every word, for tests and the transcription benchmark.

    .venv/bin/python gpu-runner/tests/timed_speech.py --out speech.wav --words words.json [--pause-ms 700] < sentences.txt

Each input line is one sentence, spoken whole (words run into each other, as in real speech) through libespeak-ng's
own API, whose word events give each word's position in the audio. Sentences are joined by a pause, so the
recogniser also meets the pauses where word times drift. Writes 16 kHz mono 16-bit WAV and a JSON list of
{word, start_ms} (start_ms null for a word
espeak-ng gives no event of its own: it counts for WER, not for timing).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
import wave

import numpy as np

SAMPLE_RATE_OUT = 16_000
WORD_EVENT, LIST_END = 1, 0
SYNCHRONOUS, DONT_EXIT, RATE = 2, 0x8000, 1


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
        ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class Speaker:
    def __init__(self, voice: str, words_per_minute: int) -> None:
        self._lib = ctypes.CDLL("libespeak-ng.so.1")
        self.rate = self._lib.espeak_Initialize(SYNCHRONOUS, 0, None, DONT_EXIT)
        if self.rate <= 0:
            raise SystemExit("espeak_timed: libespeak-ng did not initialise")
        self._lib.espeak_SetVoiceByName(voice.encode())
        self._lib.espeak_SetParameter(RATE, words_per_minute, 0)
        self._pcm: list[np.ndarray] = []
        self._events: dict[int, int] = {}
        self._callback = _Callback(self._collect)  # kept on self: the library holds only a raw pointer
        self._lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, count, events) -> int:  # noqa: ANN001 - ctypes pointers
        if count > 0:
            self._pcm.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while events[i].type != LIST_END:
            if events[i].type == WORD_EVENT:
                self._events.setdefault(events[i].text_position - 1, events[i].sample)
            i += 1
        return 0

    def say(self, words: list[str]) -> tuple[np.ndarray, list[int | None]]:
        """The sentence's samples at `self.rate`, and each word's first sample: None for a word espeak-ng speaks
        as part of the next one (an unstressed "a" before a noun), which then has no event of its own."""
        self._pcm, self._events = [], {}
        text = " ".join(words).encode()
        self._lib.espeak_Synth(text, len(text) + 1, 0, 0, 0, 0, None, None)
        self._lib.espeak_Synchronize()
        offsets, at = [], 0
        for word in words:
            offsets.append(at)
            at += len(word.encode()) + 1
        pcm = np.concatenate(self._pcm) if self._pcm else np.zeros(0, np.int16)
        return pcm, [self._events.get(offset) for offset in offsets]


def resample(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Linear interpolation to 16 kHz: plenty for speech a recogniser hears at 16 kHz anyway."""
    times = np.arange(round(len(pcm) * SAMPLE_RATE_OUT / rate)) * rate / SAMPLE_RATE_OUT
    return np.interp(times, np.arange(len(pcm)), pcm.astype(np.float64)).astype(np.int16)


def render_timed(sentences: list[str], out: str, pause_ms: int = 700, voice: str = "en-us", wpm: int = 160) -> list[dict]:
    """Speak `sentences` into the WAV file `out`; returns the words with their true starts."""
    speaker = Speaker(voice, wpm)
    parts: list[np.ndarray] = []
    words: list[dict] = []
    at = 0
    pause = np.zeros(round(pause_ms * SAMPLE_RATE_OUT / 1000), np.int16)
    for sentence in sentences:
        spoken = sentence.split()
        if not spoken:
            continue
        pcm, starts = speaker.say(spoken)
        for word, sample in zip(spoken, starts):
            start = None if sample is None else round((at + sample * SAMPLE_RATE_OUT / speaker.rate) * 1000 / SAMPLE_RATE_OUT)
            words.append({"word": word, "start_ms": start})
        audio = resample(pcm, speaker.rate)
        parts += [audio, pause]
        at += len(audio) + len(pause)
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE_OUT)
        handle.writeframes(np.concatenate(parts).tobytes())
    return words


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="WAV file to write")
    parser.add_argument("--words", required=True, help="JSON file of the words' true starts")
    parser.add_argument("--pause-ms", type=int, default=700, help="silence between sentences")
    parser.add_argument("--voice", default="en-us")
    parser.add_argument("--wpm", type=int, default=160, help="speaking rate, words per minute")
    args = parser.parse_args()
    words = render_timed([line.strip() for line in sys.stdin], args.out, args.pause_ms, args.voice, args.wpm)
    with open(args.words, "w", encoding="utf-8") as handle:
        json.dump(words, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
