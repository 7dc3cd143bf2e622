"""Readability results for people and tools: JSON, and an HTML report with a chart per
handout (inline SVG, no JavaScript). The terminal summary is ``pipeline.commands.check``."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape

from pipeline.files import write_atomic
from pipeline.readability.results import Flag, Miss, Report, Results
from pipeline.readability.scoring import (
    DEFAULT_GRADE, DEFAULT_SZIGRISZT_PAZOS, LONG_SENTENCE_FACTOR, LONG_SENTENCE_WORDS_SPANISH,
)
from pipeline.readability.targets import DIRECTIONS
from pipeline.variants import language_tag

LABELS = {
    "fk_grade": "Flesch-Kincaid grade",
    "smog": "SMOG grade",
    "flesch_reading_ease": "Flesch reading ease",
    "gunning_fog": "Gunning fog",
    "coleman_liau": "Coleman-Liau",
    "dale_chall": "Dale-Chall",
    "words_per_sentence": "words per sentence",
    "aksharas_per_word": "aksharas per word",
    "letters_per_word": "letters per word",
    "long_word_share": "share of long words",
    "szigriszt_pazos": "Szigriszt-Pazos (INFLESZ)",
    "fernandez_huerta": "Fernández-Huerta",
    "reading_time_seconds": "reading time",
}
SHORT_LABELS = {
    "fk_grade": "FK", "smog": "SMOG", "flesch_reading_ease": "Ease", "gunning_fog": "Fog",
    "coleman_liau": "CLI", "dale_chall": "DC", "words_per_sentence": "W/S",
    "aksharas_per_word": "Ak/W", "long_word_share": "Long", "letters_per_word": "L/W",
    "szigriszt_pazos": "SzP", "fernandez_huerta": "FH",
}
# Flag kinds grouped the way an editor works through them.
GROUPS = [
    ("Hardest sentences", ("hard_sentence", "harder_than_source")),
    ("Words", ("hard_word", "medical_term", "term_before_explained", "abbreviation", "long_word")),
    ("Passive voice", ("passive_voice",)),
    ("Clear communication", ("main_message", "no_call_to_action", "percentage", "long_run", "long_paragraph")),
]
HTML_LIMITS = {"Hardest sentences": 12, "Words": 30, "Passive voice": 12}  # the JSON has them all
# The HTML report's pages: base.html (style), overview.html (every reading), reading.html (one).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


# --- shared helpers --------------------------------------------------------------------------

def format_value(measure: str, value) -> str:
    if value is None:
        return "–"
    if measure == "long_word_share":
        return f"{value:.0%}"
    if measure == "reading_time_seconds":
        minutes, seconds = divmod(int(round(value)), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
    if isinstance(value, int):
        return str(value)
    return f"{value:.1f}"


def describe_miss(miss: Miss) -> str:
    label = LABELS.get(miss.measure, miss.measure)
    word = "over" if miss.direction == "max" else "under"
    sign = "≤" if miss.direction == "max" else "≥"
    return (f"{label} {format_value(miss.measure, miss.value)}, target {sign} {format_value(miss.measure, float(miss.limit))}: "
            f"{format_value(miss.measure, miss.by)} {word}")


def severity(report: Report) -> float:
    """How far a report is from its targets, relative to them (negative: within)."""
    worst = -1.0
    for measure, limit in report.target.items():
        value = report.metrics.get(measure)
        if value is None or not limit:
            continue
        excess = (value - limit) / abs(limit)
        if DIRECTIONS.get(measure) == "min":
            excess = -excess
        worst = max(worst, excess)
    return worst


def worst_first(reports) -> list[Report]:
    return sorted(reports, key=lambda r: (r.passed, -severity(r), r.slug, r.locale))


def grouped_words(flags: list[Flag]) -> list[tuple[Flag, list[int]]]:
    """Word flags merged by word and kind: the first flag, and every line it is on."""
    merged: dict[tuple, tuple[Flag, list[int]]] = {}
    for flag in flags:
        key = (flag.kind, flag.text.lower(), flag.suggestion)
        if key in merged:
            if flag.line not in merged[key][1]:
                merged[key][1].append(flag.line)
        else:
            merged[key] = (flag, [flag.line])
    return list(merged.values())


def score_measures(report: Report) -> list[str]:
    if report.measure == "english":
        return ["fk_grade", "smog"]
    if report.measure == "spanish":
        return ["szigriszt_pazos", "fernandez_huerta", "words_per_sentence"]
    if report.measure == "urdu":
        return ["words_per_sentence", "letters_per_word", "long_word_share"]
    return ["words_per_sentence", "aksharas_per_word", "long_word_share"]


# --- JSON ---------------------------------------------------------------------------------

def _rounded(value):
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def flag_json(flag: Flag) -> dict:
    data = {"file": flag.file, "line": flag.line, "kind": flag.kind, "text": flag.text, "message": flag.message}
    if flag.suggestion:
        data["suggestion"] = flag.suggestion
    if flag.section:
        data["section"] = flag.section
    if flag.grade is not None:
        data["grade"] = round(flag.grade, 2)
    return data


def report_json(report: Report) -> dict:
    return {
        "slug": report.slug,
        "title": report.title,
        "source": report.source,
        "locale": report.locale,
        "file": report.file,
        "measure": report.measure,
        "metrics": _rounded(report.metrics),
        "target": report.target,
        "passed": report.passed,
        "misses": [{"measure": m.measure, "value": round(m.value, 2), "limit": m.limit,
                    "direction": m.direction, "by": round(m.by, 2), "message": describe_miss(m)}
                   for m in report.misses],
        "sections": [{"title": s.title, "line": s.line, "metrics": _rounded(s.metrics), "passed": s.passed}
                     for s in report.sections],
        "flags": [flag_json(f) for f in report.flags],
        "comparison": _rounded(report.comparison),
        "notes": list(report.notes),
    }


def results_json(results: Results, filters: dict | None = None) -> dict:
    reports = worst_first(results.reports)
    return {
        "version": 1,
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "filters": filters or {},
        "passed": results.passed,
        "summary": {
            "reports": len(reports),
            "passed": sum(1 for r in reports if r.passed),
            "failed": sum(1 for r in reports if not r.passed),
            "skipped": len(results.skipped),
            "flags": sum(len(r.flags) for r in reports),
        },
        "reports": [report_json(r) for r in reports],
        "skipped": [{"slug": s.slug, "source": s.source, "locale": s.locale, "reason": s.reason}
                    for s in results.skipped],
    }


# --- HTML ---------------------------------------------------------------------------------------

def _sentence_chart(report: Report) -> str:
    """One bar per sentence; height = its grade (English) or words (Devanagari)."""
    sentences = list(report.sentences)
    if not sentences:
        return ""
    if report.measure == "english":
        limit = float(report.target.get("fk_grade", DEFAULT_GRADE))
        limit_label = f"target {limit:g}"
        values = [max(0.0, s.grade) for s in sentences]
    else:  # a Marathi or Spanish sentence is long above 1.25 times the words-per-sentence limit
        default = LONG_SENTENCE_WORDS_SPANISH / LONG_SENTENCE_FACTOR if report.measure == "spanish" else 12
        limit = float(report.target.get("words_per_sentence", default)) * LONG_SENTENCE_FACTOR
        limit_label = f"long: over {limit:g} words"
        values = [float(s.counts.words) for s in sentences]
    top = max(values + [limit * 1.5])
    top = 4 * math.ceil(top / 4)  # whole-number ticks
    width, height, left, bottom, pad = 900, 220, 34, 20, 10
    plot_w, plot_h = width - left - pad, height - bottom - pad
    step = plot_w / len(sentences)
    bar_w = max(1.0, step * 0.8)
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="Sentence by sentence chart for '
             f'{escape(report.slug)} ({report.locale})" xmlns="http://www.w3.org/2000/svg">']
    # axis ticks
    ticks = 4
    for i in range(ticks + 1):
        value = top * i / ticks
        y = pad + plot_h - plot_h * value / top
        parts.append(f'<line x1="{left}" x2="{width - pad}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eef0f3"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#56606b">{value:.0f}</text>')
    previous_section = None
    for index, (sentence, value) in enumerate(zip(sentences, values)):
        x = left + index * step
        if sentence.section != previous_section and index:
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{pad}" y2="{pad + plot_h}" stroke="#8a949e" stroke-dasharray="2 3"/>')
        previous_section = sentence.section
        h = plot_h * min(value, top) / top
        short = sentence.block.kind in ("title", "heading", "list_item", "table_cell", "table_header")
        kind = "h" if sentence.hard else ("s" if short or sentence.counts.words < 4 or value > limit else "ok")
        text = sentence.shown if len(sentence.shown) <= 100 else sentence.shown[:99] + "…"
        label = f"line {sentence.line}, {format_value('fk_grade', value) if report.measure == 'english' else int(value)}: {text}"
        parts.append(f'<rect class="{kind}" x="{x:.1f}" y="{pad + plot_h - h:.1f}" width="{bar_w:.1f}" '
                     f'height="{max(h, 1):.1f}"><title>{escape(label)}</title></rect>')
    y_limit = pad + plot_h - plot_h * limit / top
    parts.append(f'<line x1="{left}" x2="{width - pad}" y1="{y_limit:.1f}" y2="{y_limit:.1f}" stroke="#1d2329" '
                 f'stroke-width="1.5" stroke-dasharray="6 4"/>')
    parts.append(f'<text x="{width - pad}" y="{y_limit - 4:.1f}" font-size="12" text-anchor="end" fill="#1d2329">'
                 f'{limit_label}</text>')
    parts.append(f'<text x="{left}" y="{height - 4}" font-size="11" fill="#56606b">start</text>'
                 f'<text x="{width - pad}" y="{height - 4}" font-size="11" text-anchor="end" fill="#56606b">end</text>')
    parts.append("</svg>")
    return "".join(parts)


def _score_text(report: Report) -> str:
    return ", ".join(f"{LABELS[m]} {format_value(m, report.metrics.get(m))}" for m in score_measures(report))


def _target_text(target: dict) -> str:
    parts = []
    for key, limit in target.items():
        direction = DIRECTIONS.get(key, "max")
        parts.append(f"{SHORT_LABELS.get(key, key)} {'≤' if direction == 'max' else '≥'} {format_value(key, float(limit))}")
    return ", ".join(parts)


# The limit a section's main figure is drawn against when a reading has no target for it.
_DEFAULT_LIMITS = {"fk_grade": DEFAULT_GRADE, "szigriszt_pazos": DEFAULT_SZIGRISZT_PAZOS}

OVERVIEW_PAGE = "readability.html"
READINGS_FOLDER = "readability"


def results_html(results: Results) -> dict[str, str]:
    """The HTML report: ``{path relative to the reports folder: page}``, the overview
    first. One page per handout reading keeps each page small at any corpus size."""
    reports = worst_first(results.reports)
    view = []
    for report in reports:
        main = score_measures(report)[0]
        limit = float(report.target.get(main, _DEFAULT_LIMITS.get(main, 12)))
        least = DIRECTIONS.get(main) == "min"  # a score that must be at least its limit
        scale = max([limit * 1.5] + [s.metrics.get(main, 0.0) for s in report.sections]) or 1
        sections = [{
            "title": s.title or "(top of the handout)",
            "title_lang": language_tag(report.locale) if s.title and report.locale != "en" else "",
            "line": s.line,
            "value_text": format_value(main, s.metrics.get(main, 0.0)),
            "width": round(100 * max(0.0, s.metrics.get(main, 0.0)) / scale, 1),
            "limit_at": round(100 * limit / scale, 1),
            "over": (round(s.metrics.get(main, 0.0), 1) < limit) if least else (round(s.metrics.get(main, 0.0), 1) > limit),
        } for s in report.sections]
        groups = []
        for title, kinds in ([("Hardest sentences", ("hard_sentence",))] + [g for g in GROUPS if g[0] != "Hardest sentences"]
                             + [("Compared with the English", ("harder_than_source",))]):
            chosen = [f for f in report.flags if f.kind in kinds]
            entries = grouped_words(chosen) if title == "Words" else [(f, [f.line]) for f in chosen]
            more = max(0, len(entries) - HTML_LIMITS.get(title, len(entries)))
            entries = entries[:len(entries) - more]
            flags = [{
                "where": f.where + (f" (also line{'s' if len(lines) > 2 else ''} {', '.join(map(str, lines[1:]))})"
                                    if len(lines) > 1 else ""),
                "message": f.message, "text": f.text, "suggestion": f.suggestion,
                "grade_text": (f"grade {f.grade:.1f}" if report.measure == "english" else f"{f.grade:.1f}× its limit")
                if f.grade is not None else "",
            } for f, lines in entries]
            if flags:
                groups.append({"title": title, "flags": flags, "compact": title == "Words", "more": more})
        c = report.comparison
        view.append({
            "href": reading_page(report),
            "slug": report.slug, "title": report.title, "locale": report.locale, "file": report.file,
            "lang": language_tag(report.locale),  # BCP 47 (en-US) for lang attributes
            "passed": report.passed, "score": _score_text(report), "target_text": _target_text(report.target),
            "flag_count": len(report.flags),
            "miss_text": "; ".join(describe_miss(m) for m in report.misses),
            "misses": [describe_miss(m) for m in report.misses],
            "notes": list(report.notes),
            "reading_time": format_value("reading_time_seconds", report.metrics["reading_time_seconds"])
            if "reading_time_seconds" in report.metrics else "",
            "comparison": (f"{c['sentences']} sentences of {c['words_per_sentence']:.1f} words "
                           f"(the English: {c['source_sentences']} of {c['source_words_per_sentence']:.1f}); "
                           f"{c['hard_sentences']} hard sentences (the English: {c['source_hard_sentences']})") if c else "",
            "chart": Markup(_sentence_chart(report)),
            "chart_measure": "its Flesch-Kincaid grade" if report.measure == "english" else "its number of words",
            "chart_line": "the grade target" if report.measure == "english" else "where a sentence becomes long",
            "section_measure": LABELS[main],
            "sections": sections,
            "groups": groups,
        })
    passed = sum(1 for r in reports if r.passed)
    summary = f"{passed} of {len(reports)} handout readings meet their targets."
    environment = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, trim_blocks=False)
    pages = {OVERVIEW_PAGE: environment.get_template("overview.html").render(
        reports=view, skipped=results.skipped, summary=summary,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))}
    reading = environment.get_template("reading.html")
    for entry in view:
        pages[entry["href"]] = reading.render(r=entry)
    return pages


def reading_page(report: Report) -> str:
    """Where one handout reading's page is, relative to the reports folder."""
    return f"{READINGS_FOLDER}/{report.slug}.{report.locale}.html"


def write_reports(results: Results, folder: Path, filters: dict | None = None) -> list[Path]:
    """Write readability.json, the overview readability.html and a page per handout
    reading in readability/ into ``folder``; pages of readings no longer reported go."""
    folder = Path(folder)
    files = {"readability.json": (json.dumps(results_json(results, filters), ensure_ascii=False, indent=2)
                                  + "\n").encode("utf-8")}
    files.update({name: html.encode("utf-8") for name, html in results_html(results).items()})
    umask = os.umask(0)
    os.umask(umask)
    written = []
    for name, data in files.items():
        path = folder / name
        write_atomic(path, data)
        os.chmod(path, 0o666 & ~umask)  # readable like any other output, not private temp files
        written.append(path)
    readings = folder / READINGS_FOLDER
    for old in readings.glob("*.html") if readings.is_dir() else ():
        if f"{READINGS_FOLDER}/{old.name}" not in files:
            old.unlink()
    return written
