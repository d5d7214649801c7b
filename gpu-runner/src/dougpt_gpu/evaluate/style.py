"""Style of replies: pure functions over lists of reply texts (real or generated)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

# Twitch first-party globals and the BTTV/FFZ/7TV emotes chat types as plain text. Channel emotes are found by
# their shape (a lower-case prefix then a capitalised name: dougdoHype) in `is_emote`.
KNOWN_EMOTES = frozenset(
    """
    Kappa KappaPride Keepo LUL PogChamp BibleThump NotLikeThis ResidentSleeper Kreygasm SeemsGood DansGame BabyRage
    4Head FailFish HeyGuys VoHiYo WutFace SMOrc TriHard CoolCat CoolStoryBob PJSalt SwiftRage MrDestructoid DendiFace
    OhMyDog PunOko TwitchUnity HSWP EleGiggle CurseLit Jebaited PopCorn BloodTrail StinkyCheese GivePLZ TakeNRG
    KEKW OMEGALUL Pog PogU POGGERS Poggers PogO monkaS monkaW monkaHmm Sadge Clap catJAM 5Head 3Head COPIUM Copium
    Aware Clueless ICANT LULW PepeHands PepeLaugh peepoHappy peepoSad FeelsGoodMan FeelsBadMan FeelsStrongMan
    widepeepoHappy EZ EZY Kappa123 WeirdChamp Pepega PepeSpin Stare Okayge Madge Bedge Gladge Chatting HUH NOOO
    forsenCD LETSGO pepeD modCheck Susge SUSSY ratJAM Prayge Hmm HYPERS PauseChamp D: <3 :) :( :D ;)
    """.split()
)
_CHANNEL_EMOTE = re.compile(r"^[a-z][a-z0-9]{1,9}[A-Z][A-Za-z0-9]*$")
_WORD = re.compile(r"\S+")


def is_emote(token: str) -> bool:
    """A known emote, or shaped like a channel emote (prefix + capitalised name).

    >>> [is_emote(t) for t in ("KEKW", "dougdoHype", "hello", "Hello")]
    [True, True, False, False]
    """
    return token in KNOWN_EMOTES or bool(_CHANNEL_EMOTE.match(token))


def char_lengths(replies: Iterable[str]) -> list[int]:
    return [len(reply.strip()) for reply in replies]


def wasserstein_1d(a: Sequence[float], b: Sequence[float]) -> float:
    """Earth mover's distance between two empirical distributions on a line (area between their CDFs).

    >>> wasserstein_1d([0, 1], [1, 2])
    1.0
    """
    if not a or not b:
        return math.nan
    xs = sorted(set(a) | set(b))
    sa, sb = sorted(a), sorted(b)
    total = 0.0
    ia = ib = 0
    for left, right in zip(xs, xs[1:]):
        while ia < len(sa) and sa[ia] <= left:
            ia += 1
        while ib < len(sb) and sb[ib] <= left:
            ib += 1
        total += abs(ia / len(sa) - ib / len(sb)) * (right - left)
    return total


def _rate(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else math.nan


def emote_rate(replies: Sequence[str]) -> float:
    """Share of replies with at least one emote."""
    return _rate(any(is_emote(token) for token in _WORD.findall(reply)) for reply in replies)


def is_all_caps(reply: str) -> bool:
    """Shouting: at least two cased letters outside emotes, every one upper case.

    >>> [is_all_caps(t) for t in ("DOUG NO", "LUL", "Doug no", "W")]
    [True, False, False, False]
    """
    letters = [c for token in _WORD.findall(reply) if not is_emote(token) for c in token if c.isalpha() and c.lower() != c.upper()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def all_caps_rate(replies: Sequence[str]) -> float:
    return _rate(is_all_caps(reply) for reply in replies)


def distinct_n(replies: Sequence[str], n: int) -> float:
    """Distinct word n-grams over all n-grams of all replies (case-folded): 1 is no repetition at all.

    >>> distinct_n(["a b", "A b"], 1), distinct_n(["a b", "A b"], 2)
    (0.5, 0.5)
    """
    grams: list[tuple[str, ...]] = []
    for reply in replies:
        words = reply.casefold().split()
        grams.extend(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return len(set(grams)) / len(grams) if grams else math.nan


def placeholder_mention_rate(replies: Sequence[str], placeholder: str) -> float:
    """Share of replies that mention a viewer (the spec's placeholder, as a whole token, any case)."""
    pattern = re.compile(rf"(?<![\w@]){re.escape(placeholder)}(?!\w)", re.IGNORECASE)
    return _rate(bool(pattern.search(reply)) for reply in replies)


def style_metrics(replies: Sequence[str], placeholder: str, real_lengths: Sequence[int] | None = None) -> dict[str, float]:
    """Every style metric of one set of replies; `length_wasserstein` against the real replies' lengths when given."""
    lengths = char_lengths(replies)
    metrics = {
        "mean_chars": sum(lengths) / len(lengths) if lengths else math.nan,
        "empty_rate": _rate(length == 0 for length in lengths),
        "emote_rate": emote_rate(replies),
        "all_caps_rate": all_caps_rate(replies),
        "distinct_1": distinct_n(replies, 1),
        "distinct_2": distinct_n(replies, 2),
        "placeholder_mention_rate": placeholder_mention_rate(replies, placeholder),
    }
    if real_lengths is not None:
        metrics["length_wasserstein"] = wasserstein_1d(lengths, real_lengths)
    return metrics
