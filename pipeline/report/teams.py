"""One plan per team: the work plan cut down to one owner's touchpoints.

For every owner in the catalog (touchpoints.yaml, `owner:`) with at least one action in the
period's work plan, or an earlier action followed up, write_report writes

    <period>/teams/<owner>.pdf     a one-page summary, their follow-ups, their actions, and the
                                   evidence for their touchpoints (matrix rows, reasons, staff
                                   language)
    <period>/teams/<owner>.csv     their rows of the work-plan CSV, same columns
A language other than English writes into teams-<lang>/ (as charts-<lang>/), so an owner's
English and Malay plans never share a name.

Owner names are analysts' text, so the file name is a slug of it (owner_slugs): lowercase ASCII
letters, digits and hyphens, never a path, never a name Windows reserves, and two owners never
share one. Actions without an owner stay in the full report only. A team plan an earlier run of
the same period wrote, for an owner with nothing to do now, is removed when the run commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from pipeline.report.document import render_pdf
from pipeline.report.export import retire, write_bytes, write_csv
from pipeline.report.labels import Labels
from pipeline.report.model import ReportData
from pipeline.report.workplan import workplan_table

SLUG_MAX = 60
SLUG_EMPTY = "owner"  # an owner name with no letter or digit we can write
# Names Windows will not open as files, whatever the extension (CON.pdf is the console).
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
)


def slug(name: str) -> str:
    """A file name stem for an owner: accents dropped (NFKD), lowercase, every run of anything
    but a-z and 0-9 one hyphen, no hyphen at either end, at most SLUG_MAX characters. Cannot be
    empty, `.`, `..`, hold a separator or NUL, or be a name Windows reserves."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    text = text[:SLUG_MAX].rstrip("-")
    if not text:
        return SLUG_EMPTY
    if text in WINDOWS_RESERVED:
        return f"{text}-team"
    return text


def owner_slugs(owners: Iterable[str]) -> dict[str, str]:
    """owner -> slug, distinct for distinct owners: the owners in sorted order, each taking its
    slug or, when an earlier one has it, the first free of slug-2, slug-3, ... So the names
    depend only on the set of owners, not on the order they come in."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for owner in sorted(set(owners)):
        base = slug(owner)
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        out[owner] = name
    return out


def catalog_owners(data: ReportData) -> list[str]:
    """The owners the catalog names (every catalog touchpoint is in data.touchpoints)."""
    return sorted({t.owner for t in data.touchpoints if t.owner})


def team_data(data: ReportData, owner: str) -> ReportData:
    """The report data of one owner: their actions, follow-ups, touchpoints, reasons and staff
    phrases; the period's overall figures stay, as the comparison. No quoted notes: a team plan
    travels further than the full report."""
    mine = {t.touchpoint_id for t in data.touchpoints if t.owner == owner}
    return replace(
        data,
        touchpoints=[t for t in data.touchpoints if t.touchpoint_id in mine],
        reasons=[r for r in data.reasons if r.touchpoint_id in mine],
        workplan=[r for r in data.workplan if r.owner == owner],
        phrases=[p for p in data.phrases if p.touchpoint_id in mine],
        followups=[f for f in data.followups if f.owner == owner],
        followup_unknown=[],  # a status file's unknown ids are the full report's to name
        examples=[],
    )


def team_folder(out_dir: Path, period_label: str, lang: str) -> Path:
    suffix = "" if lang == "en" else f"-{lang}"
    return Path(out_dir) / period_label / f"teams{suffix}"


def write_team_plans(
    data: ReportData, labels: Labels, out_dir: Path, full_report: str
) -> list[Path]:
    """Write each owner's PDF and CSV (module doc); `full_report`: the full PDF's file name,
    which each team plan names. The paths written, PDF then CSV per owner, owners sorted."""
    if data.period is None or data.empty:
        return []
    folder = team_folder(out_dir, data.period.label, labels.lang)
    with_actions = ({r.owner for r in data.workplan if r.owner}
                    | {f.owner for f in data.followups if f.owner})
    slugs = owner_slugs(catalog_owners(data) + sorted(with_actions))
    written: list[Path] = []
    for owner in sorted(with_actions):
        team = team_data(data, owner)
        path = folder / slugs[owner]
        # the slug keeps every name inside the folder; refuse loudly should that ever change
        if path.parent != folder:
            raise ValueError(f"team file name {slugs[owner]!r} leaves {folder}")
        pdf = render_pdf(team, labels, [], team=owner, full_report=full_report)
        written.append(write_bytes(path.with_name(path.name + ".pdf"), pdf))
        header, rows = workplan_table(team.workplan, labels)
        written.append(write_csv(path.with_name(path.name + ".csv"), header, rows))
    if folder.is_dir():  # an earlier run's plan for a team with nothing to do now
        for old in sorted(folder.glob("*.pdf")) + sorted(folder.glob("*.csv")):
            if old not in written and not old.name.startswith("."):
                retire(old)
    return written
