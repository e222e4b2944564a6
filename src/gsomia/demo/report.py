"""The demo's report: ``index.html`` with the timeline, the value of the agreements, the
agreements' status over time and the audit of every ledger, plus its images.

Plain HTML and PNG files, no script and nothing fetched: the report opens offline.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from gsomia.core.agreements import Agreement, AgreementLibrary, EventKind
from gsomia.core.lifecycle import Phase, status

__all__ = ["agreement_timeline_plot", "write_report"]

KST = timezone(timedelta(hours=9))
_PHASE_COLOURS = {
    Phase.NOT_IN_FORCE: "#ffffff",
    Phase.IN_FORCE: "#3b7d3b",
    Phase.NOTICE_PENDING: "#d98e04",
    Phase.NOTICE_SUSPENDED: "#8fb88f",
    Phase.TERMINATED: "#b03030",
}
_STYLE = """<style>
body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; }
.banner { background: #b03030; color: #fff; text-align: center; font-weight: 600;
  padding: 6px; letter-spacing: .03em; }
main { max-width: 1200px; margin: 0 auto; padding: 12px 24px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 20px; }
th, td { border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
img { max-width: 100%; border: 1px solid #ddd; margin: 6px 0; }
.note { background: #f6f6f0; border-left: 4px solid #c9b458; padding: 6px 10px; margin: 8px 0; }
.ok { color: #2b6b2b; font-weight: 600; } .bad { color: #b03030; font-weight: 600; }
</style>"""
_BANNER = (
    "DEMONSTRATION — the items are placeholders written by the demo; labels and markings are "
    "shown as a node applies them"
)


def _day_number(when: datetime) -> float:
    """Matplotlib's day number of ``when`` (its date converter is untyped)."""
    return float(mdates.date2num(when))  # type: ignore[no-untyped-call]


def agreement_timeline_plot(
    library: AgreementLibrary, path: Path, *, start: datetime, end: datetime
) -> Path:
    """Each agreement's phase over time, and the Japan–ROK branch where the 2019 notice was
    not suspended, as coloured bands."""
    rows: list[tuple[str, Agreement]] = [(a.short_name, a) for a in library]
    jk = library.agreements.get("jpn-kor-gsomia")
    if jk is not None:
        branch = replace(jk, events=tuple(e for e in jk.events if e.kind is EventKind.NOTICE))
        rows.append(("Japan–ROK GSOMIA, had the notice not been suspended", branch))
    days = [start + timedelta(days=d) for d in range(0, (end - start).days + 1, 7)]
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(rows) + 1.5))
    for y, (_, agreement) in enumerate(rows):
        phases = [status(agreement, at=d).phase for d in days]
        for d, phase in zip(days, phases, strict=True):
            ax.barh(
                y,
                7,
                left=_day_number(d),
                color=_PHASE_COLOURS[phase],
                height=0.6,
                linewidth=0,
            )
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([name for name, _ in rows], fontsize=8)
    ax.xaxis_date()
    ax.invert_yaxis()
    ax.set_title("Agreements over time (UTC+9), computed from their data and events")
    ax.legend(
        handles=[
            Patch(color=c, label=p.value)
            for p, c in _PHASE_COLOURS.items()
            if p is not Phase.NOT_IN_FORCE
        ],
        loc="lower left",
        fontsize=7,
        ncol=4,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    """A table cell: escaped, its line breaks kept."""
    return html.escape("" if value is None else str(value)).replace("\n", "<br>")


def write_report(result: Any, library: AgreementLibrary) -> Path:
    """Write ``index.html`` (and the timeline image) into ``result.out``; its path."""
    out: Path = result.out
    timeline_png = agreement_timeline_plot(
        library,
        out / "agreements-timeline.png",
        start=datetime(2014, 12, 1, tzinfo=UTC),
        end=datetime(2024, 1, 31, tzinfo=UTC),
    )
    steps = [
        (
            s.at.astimezone(KST).strftime("%Y-%m-%d %H:%M"),
            s.title,
            s.outcome,
            ", ".join(s.rule_ids),
            "refused" if s.refused else "done",
        )
        for s in result.steps
    ]
    audits = [
        (
            party,
            a["origin"],
            a["entries"],
            a["checkpoints"],
            a["cosignatures"],
            "verified" if a["ok"] else "FAILED",
            "; ".join(f"{c['name']}: {c['detail']}" for c in a["checks"]),
        )
        for party, a in result.audits.items()
    ]
    events = sorted({e for counts in result.ledgers.values() for e in counts})
    ledger_rows = [(e, *(result.ledgers[p].get(e, 0) for p in result.ledgers)) for e in events]
    value_html = _value_section(result.value, out)
    verified = '<span class="ok">yes</span>' if result.ok else '<span class="bad">NO</span>'
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gsomia demo report</title>
{_STYLE}</head><body>
<div class="banner">{html.escape(_BANNER)}</div>
<main>
<h1>gsomia: the 2016–2023 timeline, replayed and measured</h1>
<p>Three nodes (JPN, KOR, USA) replayed the timeline through the real workflows in
{result.seconds:.0f} s. Every ledger verified: {verified}.</p>
<h2>What the agreements bought</h2>
{value_html}
<h2>The agreements over time</h2>
<img src="{timeline_png.name}" alt="agreement phases over time">
<h2>The timeline</h2>
{_table(["date (UTC+9)", "step", "outcome", "rules", ""], steps)}
<h2>Audit of every ledger</h2>
{_table(["node", "log", "entries", "checkpoints", "cosignatures", "result", "checks"], audits)}
<h2>What each ledger recorded</h2>
{_table(["event", *result.ledgers.keys()], ledger_rows)}
</main>
<div class="banner">{html.escape(_BANNER)}</div>
</body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _image(path: Path, out: Path) -> str:
    src = html.escape(str(path.relative_to(out)))
    return f'<img src="{src}" alt="{html.escape(path.stem)}">'


def _value_section(value: Any, out: Path) -> str:
    if value is None:
        return "<p>Not measured in this run.</p>"
    sim = value.assumptions.simulation
    runs = f"{len(value.results)} launches × {sim.runs} runs"
    answers = "".join(f"<li>{html.escape(text)}</li>" for _, text in value.answers())
    plots = {Path(p).stem: Path(p) for p in value.plots}
    first = _image(plots["headline"], out) if "headline" in plots else ""
    columns = value.table_columns()
    rows = [[row.get(c) for c in columns] for row in value.table_rows()]
    checks = value.validation_rows()
    check_cols = ["launch", "public record", "model", "criterion", "agrees", "source"]
    cover_cols = ["missile", "party", "inside 95 % ellipse", "runs", "target met"]
    assoc = value.association_rows()
    assoc_cols = list(assoc[0]) if assoc else []
    assoc_lead = "".join(f"<li>{html.escape(s)}</li>" for s in value.association_sentences())
    cards = "".join(
        f"<h4>{html.escape(name.removeprefix('timeline-'))}</h4>{_image(path, out)}"
        for name, path in plots.items()
        if name.startswith("timeline-")
    )
    appendix = "".join(
        _image(path, out)
        for name, path in plots.items()
        if name != "headline" and not name.startswith("timeline-")
    )
    sweep = _sweep_images(out)
    return f"""
<p><b>The answer</b> ({html.escape(runs)}; lead time = seconds before impact at which the
party's predicted impact point came within 50 km for good; a fix never reached counts as 0;
intervals are 95 % two-stage bootstrap intervals over launches and runs):</p>
<ul>{answers}</ul>
{first}
<div class="note"><b>Assumptions on this page.</b> Channels: GSOMIA direct, full tracks,
{value.assumptions.direct.delay_s:g} s; TISA through the US, tracks,
{value.assumptions.hub.relay_s:g} s per hop plus {value.assumptions.hub.consent_s:g} s for the
originator's consent; the 2023 link warning-level data (RT-1, RT-3)
{value.assumptions.realtime.delay_s:g} s; US alliances raw reports 2 s, each US radar to its
{html.escape(value.assumptions.sensors.us_radar_routing)} ally. Sensors with sources:
<code>docs/assumptions.md</code> §4a; method: <code>docs/value.md</code>.</div>
<h3>Every comparison (mean gain in lead time, s, [95 % interval]; {html.escape(runs)})</h3>
{_table(columns, rows)}
<h3>Sensitivity</h3>
{sweep}
<h3>The model against the public record</h3>
{_table(check_cols, [[row[c] for c in check_cols] for row in checks])}
<h3>Honest impact ellipses: coverage per missile class</h3>
{_table(cover_cols, [[row[c] for c in cover_cols] for row in value.coverage_rows()])}
<h3>Association: each party's tracks against every object in flight</h3>
<ul>{assoc_lead}</ul>
{_table(assoc_cols, [[row[c] for c in assoc_cols] for row in assoc])}
<h3>Each launch: when each picture got there</h3>
{cards}
<h3>Appendix: errors over time and maps</h3>
{appendix}
"""


def _sweep_images(out: Path) -> str:
    found = sorted((out / "sweep").glob("*.png")) if (out / "sweep").is_dir() else []
    if not found:
        return (
            "<p>Run <code>gsomia value sweep --out &lt;report&gt;/sweep</code> to add the "
            "tornado charts and the direct × consent delay heat map here.</p>"
        )
    return "".join(_image(p, out) for p in found)
