"""report.html: one self-contained page (inline SVG, no scripts, no network) for an eval.json and its samples."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .listening import listening_section

COLOURS = {"real": "#555555", "base": "#9aa5b1", "adapter": "#d9480f", "promoted": "#1971c2"}
LABELS = {"real": "real chat", "base": "base model", "adapter": "candidate", "promoted": "promoted"}

# (metric, what a good value is) in the order the page shows them.
METRICS: list[tuple[str, str]] = [
    ("perplexity", "lower is better"),
    ("perplexity_no_eot", "lower is better (end-of-turn token left out)"),
    ("contextual_lift", "higher is better (nats/token; 0: context ignored)"),
    ("classifier_accuracy", "0.5 is best (indistinguishable from real)"),
    ("length_wasserstein", "lower is better (chars)"),
    ("mean_chars", "close to real"),
    ("emote_rate", "close to real"),
    ("all_caps_rate", "close to real"),
    ("distinct_1", "close to real"),
    ("distinct_2", "close to real"),
    ("placeholder_mention_rate", "close to real"),
    ("empty_rate", "0 is best"),
    ("toxicity_rate", "lower; at most about real's"),
    ("banned_phrase_hits", "0"),
    ("name_leaks", "0"),
    ("verbatim_copy_rate", "lower is better (≤ 1%)"),
]


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}"


def histogram_svg(series: Mapping[str, Sequence[int]], width: int = 640, height: int = 220, bins: int = 20) -> str:
    """Reply-length histograms (share of replies per char-length bin), one outlined series per side."""
    values = [v for lengths in series.values() for v in lengths]
    if not values:
        return "<p>no replies</p>"
    top = max(max(values), 1)
    step = max(1, math.ceil((top + 1) / bins))
    edges = list(range(0, top + step + 1, step))
    nbins = len(edges) - 1
    left, bottom, right, upper = 40, 30, 10, 10
    plot_w, plot_h = width - left - right, height - bottom - upper
    shares = {}
    for name, lengths in series.items():
        counts = [0] * nbins
        for v in lengths:
            counts[min(v // step, nbins - 1)] += 1
        shares[name] = [c / len(lengths) if lengths else 0 for c in counts]
    peak = max((s for counts in shares.values() for s in counts), default=1) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="reply length histogram">']
    parts.append(f'<line x1="{left}" y1="{upper + plot_h}" x2="{left + plot_w}" y2="{upper + plot_h}" stroke="#333"/>')
    for i in range(0, nbins + 1, max(1, nbins // 5)):
        x = left + plot_w * i / nbins
        parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="10" text-anchor="middle">{edges[i]}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 1}" font-size="10" text-anchor="middle">characters</text>')
    parts.append(f'<text x="4" y="{upper + 8}" font-size="10">{peak:.0%}</text>')
    for name, counts in shares.items():
        points = []
        for i, share in enumerate(counts):
            x0, x1 = left + plot_w * i / nbins, left + plot_w * (i + 1) / nbins
            y = upper + plot_h * (1 - share / peak)
            points += [f"{x0:.1f},{y:.1f}", f"{x1:.1f},{y:.1f}"]
        path = f"{left},{upper + plot_h} " + " ".join(points) + f" {left + plot_w},{upper + plot_h}"
        colour = COLOURS.get(name, "#000")
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for k, name in enumerate(shares):
        y = upper + 12 + 14 * k
        parts.append(f'<rect x="{width - 130}" y="{y - 8}" width="10" height="10" fill="{COLOURS.get(name, "#000")}"/>'
                     f'<text x="{width - 116}" y="{y + 1}" font-size="11">{_esc(LABELS.get(name, name))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(metric: str, values: Mapping[str, float | None], width: int = 300) -> str:
    """Horizontal bars of one metric for each side that has it."""
    present = [(name, v) for name, v in values.items() if v is not None and not (isinstance(v, float) and math.isnan(v))]
    height = 18 * max(len(present), 1) + 24
    top = max((abs(v) for _, v in present), default=1) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{_esc(metric)}"><text x="0" y="12" font-size="12" font-weight="bold">{_esc(metric)}</text>']
    label_w, bar_w = 80, width - 80 - 60
    for k, (name, v) in enumerate(present):
        y = 20 + 18 * k
        w = bar_w * abs(v) / top
        parts.append(f'<text x="0" y="{y + 11}" font-size="11">{_esc(LABELS.get(name, name))}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="13" fill="{COLOURS.get(name, "#000")}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 11}" font-size="11">{_num(v)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_report(result: Mapping[str, Any], samples: Sequence[Mapping[str, Any]], shown: int) -> str:
    """The page for one eval: verdict, metric table and bars, length histograms, sample contexts."""
    sides = [name for name in ("real", "base", "adapter", "promoted") if result.get(name) is not None]
    gates = result["gates"]
    verdict = "PASSED" if gates["passed"] else "FAILED"
    out = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>DougPT eval {_esc(result['eval_id'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}"
        "table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;"
        "font-size:13px;vertical-align:top;text-align:left}th{background:#f3f3f3}.num{text-align:right;"
        "font-variant-numeric:tabular-nums}.pass{color:#2b8a3e}.fail{color:#c92a2a}.bars{display:flex;"
        "flex-wrap:wrap;gap:16px}.ctx{max-width:420px;color:#555}</style></head><body>",
        f"<h1>Evaluation {_esc(result['eval_id'])}</h1>",
        f"<p>Dataset <code>{_esc(result.get('dataset_id'))}</code>, split <b>{_esc(result['split'])}</b>, "
        f"{result['n_examples']} examples. Candidate <code>{_esc(result.get('adapter_path'))}</code>; promoted "
        f"<code>{_esc(result.get('promoted_path') or 'none')}</code>; base <code>{_esc(result.get('base_model'))}</code>.</p>",
        _judgments_line(result.get("human_judgments")),
        f"<h2 class='{'pass' if gates['passed'] else 'fail'}'>Gates: {verdict}</h2>",
        "<table><tr><th>gate</th><th>result</th><th>detail</th></tr>",
    ]
    for outcome in gates.get("checked", []):
        ok = outcome["passed"]
        out.append(f"<tr><td>{_esc(outcome['gate'])}</td><td class='{'pass' if ok else 'fail'}'>"
                   f"{'pass' if ok else 'FAIL'}</td><td>{_esc(outcome['message'])}</td></tr>")
    for outcome in gates.get("skipped", []):
        out.append(f"<tr><td>{_esc(outcome['gate'])}</td><td>skipped</td><td>{_esc(outcome['message'])}</td></tr>")
    out.append("</table><h2>Metrics</h2><table><tr><th>metric</th>")
    out += [f"<th>{_esc(LABELS[name])}</th>" for name in sides]
    out.append("<th>good value</th></tr>")
    for metric, good in METRICS:
        cells = [f"<td class='num'>{_num(result[name].get(metric))}</td>" for name in sides]
        out.append(f"<tr><td>{_esc(metric)}</td>{''.join(cells)}<td>{_esc(good)}</td></tr>")
    out.append("</table>")
    out.append(listening_section(result, samples))
    out.append("<h2>Reply lengths</h2>")
    lengths = {name: [len(s[name]) for s in samples if s.get(name) is not None] for name in sides}
    out.append(histogram_svg(lengths))
    out.append("<h2>Per metric</h2><div class='bars'>")
    for metric, _ in METRICS:
        out.append(bars_svg(metric, {name: result[name].get(metric) for name in sides}))
    out.append("</div>")
    out.append(f"<h2>Samples ({min(shown, len(samples))} of {len(samples)} contexts)</h2><table><tr><th>context</th>")
    out += [f"<th>{_esc(LABELS[name])}</th>" for name in sides]
    out.append("</tr>")
    step = max(1, len(samples) // shown) if shown else len(samples) + 1
    for sample in list(samples)[::step][:shown]:
        cells = "".join(f"<td>{_esc(sample.get(name, ''))}</td>" for name in sides)
        out.append(f"<tr><td class='ctx'>{_esc(sample['context'][-300:])}</td>{cells}</tr>")
    out.append("</table></body></html>")
    return "\n".join(out)


def _judgments_line(human: Mapping[str, Any] | None) -> str:
    """The blind human spot checks (dougpt judge) of this adapter, when there are any."""
    if not human:
        return "<p>Blind human judgments: none yet (<code>dougpt judge &lt;eval dir&gt;</code>).</p>"
    rating = "n/a" if human.get("mean_rating") is None else f"{human['mean_rating']:.2f}"
    return (f"<p>Blind human judgments: {human['judged']} judged; the real reply was picked in "
            f"<b>{100 * human['correct_share']:.0f}%</b> (50% means chat cannot be told from the model); "
            f"mean rating of the generated reply {rating} / 5.</p>")
