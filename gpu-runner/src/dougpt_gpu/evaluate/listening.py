"""The "listening" section of report.html: does the model read the context? Candidate ranking with and without
the context against popularity and random, the lift interval, and contexts the candidate ranks right and wrong.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

KS = (1, 5, 10)
SERIES = [("ranking", "with context", "#d9480f"), ("ranking_no_context", "without context", "#f59f00"),
          ("popularity", "popularity", "#555555"), ("random", "random", "#adb5bd")]
LABELS = {"base": "base model", "adapter": "candidate", "promoted": "promoted"}
SHOWN = 10


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _ci(interval: Sequence[float] | None) -> str:
    return "" if not interval else f" [{_num(interval[0])}, {_num(interval[1])}]"


def recall_bars_svg(title: str, rankings: Mapping[str, Mapping[str, Any] | None], width: int = 420) -> str:
    """Grouped bars: R@1, R@5, R@10 of each series (with context, without, popularity, random), 0 to 1."""
    height, left, bottom, top = 190, 34, 34, 22
    plot_w, plot_h = width - left - 10, height - bottom - top
    group_w = plot_w / len(KS)
    bar_w = group_w * 0.8 / len(SERIES)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{_esc(title)}"><text x="0" y="13" font-size="12" font-weight="bold">{_esc(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>']
    for tick in (0, 0.5, 1):
        y = top + plot_h * (1 - tick)
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick:g}</text>'
                     f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eee"/>')
    for g, k in enumerate(KS):
        x0 = left + group_w * g + group_w * 0.1
        parts.append(f'<text x="{left + group_w * (g + 0.5):.1f}" y="{top + plot_h + 14}" font-size="11" '
                     f'text-anchor="middle">R@{k}</text>')
        for s, (key, label, colour) in enumerate(SERIES):
            value = (rankings.get(key) or {}).get(f"r_at_{k}")
            if value is None:
                continue
            h = plot_h * max(0.0, min(1.0, value))
            x = x0 + bar_w * s
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{_esc(label)} R@{k} {_num(value)}</title></rect>')
    for s, (_, label, colour) in enumerate(SERIES):
        x = left + s * (plot_w / len(SERIES))
        parts.append(f'<rect x="{x:.1f}" y="{height - 12}" width="9" height="9" fill="{colour}"/>'
                     f'<text x="{x + 12:.1f}" y="{height - 4}" font-size="10">{_esc(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def interval_svg(rows: Sequence[tuple[str, float | None, Sequence[float] | None]], width: int = 520) -> str:
    """Points with their 95% intervals on one axis, a line at zero."""
    present = [(label, v, ci) for label, v, ci in rows if v is not None]
    if not present:
        return "<p>no lift figures</p>"
    values = [x for _, v, ci in present for x in (v, *(ci or ()))] + [0.0]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    low, high = low - 0.05 * span, high + 0.05 * span
    left, right = 150, 20
    height = 22 * len(present) + 24

    def x_of(v: float) -> float:
        return left + (width - left - right) * (v - low) / (high - low)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="lift intervals"><line x1="{x_of(0):.1f}" y1="4" x2="{x_of(0):.1f}" y2="{height - 16}" '
             f'stroke="#999" stroke-dasharray="3,3"/><text x="{x_of(0):.1f}" y="{height - 4}" font-size="10" '
             f'text-anchor="middle">0</text>']
    for row, (label, value, ci) in enumerate(present):
        y = 14 + 22 * row
        parts.append(f'<text x="0" y="{y + 4}" font-size="11">{_esc(label)}</text>')
        if ci:
            parts.append(f'<line x1="{x_of(ci[0]):.1f}" y1="{y}" x2="{x_of(ci[1]):.1f}" y2="{y}" stroke="#1971c2" '
                         f'stroke-width="2"/>')
        parts.append(f'<circle cx="{x_of(value):.1f}" cy="{y}" r="4" fill="#d9480f"><title>{_num(value)}{_ci(ci)}'
                     f'</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _ranking_table(result: Mapping[str, Any], sides: Sequence[str]) -> list[str]:
    out = ["<table><tr><th>ranking</th><th>R@1</th><th>R@5</th><th>R@10 [95% CI]</th><th>MRR</th>"
           "<th>mean rank</th><th>candidates</th></tr>"]
    rows: list[tuple[str, Mapping[str, Any] | None]] = []
    for side in sides:
        for key, how in (("ranking", "with context"), ("ranking_no_context", "without context"),
                         ("ranking_pmi", "with minus without (PMI)")):
            rows.append((f"{LABELS.get(side, side)}, {how}", result[side].get(key)))
    rows += [("popularity (training frequency)", (result.get("popularity") or {}).get("ranking")),
             ("random", (result.get("random") or {}).get("ranking"))]
    for label, r in rows:
        if not r:
            continue
        out.append(f"<tr><td>{_esc(label)}</td><td class='num'>{_num(r.get('r_at_1'))}</td>"
                   f"<td class='num'>{_num(r.get('r_at_5'))}</td>"
                   f"<td class='num'>{_num(r.get('r_at_10'))}{_ci(r.get('r_at_10_ci95'))}</td>"
                   f"<td class='num'>{_num(r.get('mrr'))}</td><td class='num'>{_num(r.get('mean_rank'), 1)}</td>"
                   f"<td class='num'>{r.get('n_candidates')} × {r.get('n')}</td></tr>")
    out.append("</table>")
    return out


def _examples(samples: Sequence[Mapping[str, Any]], first: bool) -> list[Mapping[str, Any]]:
    """Up to SHOWN contexts, spread over the split, where the candidate ranks the real reply first (or not)."""
    chosen = [s for s in samples if "rank" in s and (s["rank"]["adapter"]["context"] == 1) == first]
    step = max(1, len(chosen) // SHOWN)
    return chosen[::step][:SHOWN]


def listening_section(result: Mapping[str, Any], samples: Sequence[Mapping[str, Any]]) -> str:
    """The section's HTML; empty when the eval has no ranking figures."""
    sides = [side for side in ("base", "adapter", "promoted") if result.get(side) and result[side].get("ranking")]
    if not sides:
        return ""
    lift = result.get("lift_vs_base") or {}
    out = ["<h2>Listening: does the model read the context?</h2>",
           "<p>Each context's real reply is ranked among its candidates (distractors from the training split: the most "
           "frequent replies, the nearest to the context, random ones) by mean log-likelihood per token, after the "
           "context and after an empty streamer turn. A model that reads the context ranks better with it; "
           "popularity is the best a context-blind ranker does with the training frequencies.</p>",
           "<div class='bars'>"]
    for side in sides:
        metrics = result[side]
        out.append(recall_bars_svg(LABELS.get(side, side), {
            "ranking": metrics.get("ranking"), "ranking_no_context": metrics.get("ranking_no_context"),
            "popularity": (result.get("popularity") or {}).get("ranking"),
            "random": (result.get("random") or {}).get("ranking")}))
    out.append("</div>")
    out += _ranking_table(result, sides)
    out.append(f"<p>Contextual lift of the candidate over the base: <b>{_num(lift.get('value'))}</b> nats/token, "
               f"95% interval{_ci(lift.get('ci95')) or ' –'} (bootstrap over contexts).</p>")
    rows = [(f"{LABELS.get(side, side)} lift", result[side].get("contextual_lift"), result[side].get("contextual_lift_ci95"))
            for side in sides]
    rows.append(("candidate − base", lift.get("value"), lift.get("ci95")))
    out.append(interval_svg(rows))
    for first, title in ((True, "ranks the real reply first"), (False, "does not rank the real reply first")):
        chosen = _examples(samples, first)
        out.append(f"<h3>Contexts where the candidate {title} ({len(chosen)})</h3>")
        out.append("<table><tr><th>context</th><th>real reply</th><th>rank with context</th>"
                   "<th>rank without</th><th>candidate's first choice</th></tr>")
        for s in chosen:
            rank = s["rank"]["adapter"]
            out.append(f"<tr><td class='ctx'>{_esc(s['context'][-300:])}</td><td>{_esc(s['real'])}</td>"
                       f"<td class='num'>{_num(rank['context'], 1)}</td><td class='num'>{_num(rank['no_context'], 1)}</td>"
                       f"<td>{_esc(s['top']['adapter'])}</td></tr>")
        out.append("</table>")
    return "\n".join(out)
