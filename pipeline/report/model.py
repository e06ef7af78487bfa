"""The plain data the report is drawn from: aggregates only, never a customer's own text.

Everything here is built once per report from the warehouse (pipeline.report.gather) or by hand in
tests, then rendered (document, charts) and exported (CSV). Percentages are 0-100 as in the marts;
None means "cannot be computed" (no ratings, no promises, no earlier period).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline.report.stats import net_delight_change, wilson

PRIORITIES = ("P1", "P2", "P3")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    partial: bool = False  # the default quarter is not complete in the data

    @property
    def is_quarter(self) -> bool:
        q_start = date(self.start.year, 3 * ((self.start.month - 1) // 3) + 1, 1)
        return self.start == q_start and self.end == quarter_end(q_start)

    @property
    def is_year(self) -> bool:
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31) \
            and self.start.year == self.end.year

    @property
    def is_month(self) -> bool:
        nxt = date(self.start.year + self.start.month // 12, self.start.month % 12 + 1, 1)
        return self.start.day == 1 and self.end == nxt - timedelta(days=1)

    @property
    def label(self) -> str:
        """Used in file names: 2026 for a calendar year, 2026-Q3 for a quarter, 2026-07 for a
        month, else 2026-07-01_2026-08-15."""
        if self.is_year:
            return str(self.start.year)
        if self.is_quarter:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.is_month:
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The year, quarter or month before one; otherwise as many days just before."""
        end = self.start - timedelta(days=1)
        if self.is_year:
            return Period(date(end.year, 1, 1), end)
        if self.is_quarter:
            return Period(date(end.year, end.month - 2, 1), end)
        if self.is_month:
            return Period(date(end.year, end.month, 1), end)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def quarter_end(start: date) -> date:
    nxt = date(start.year + (start.month + 3 > 12), (start.month + 2) % 12 + 1, 1)
    return nxt - timedelta(days=1)


@dataclass(frozen=True)
class Mix:
    """Contacts per outcome; shares are of all contacts (as the marts define them)."""

    delighted: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    unscored: int = 0

    @property
    def volume(self) -> int:
        return self.delighted + self.satisfied + self.dissatisfied + self.unscored

    @property
    def scored(self) -> int:
        return self.delighted + self.satisfied + self.dissatisfied

    def count(self, outcome: str) -> int:
        return getattr(self, outcome)


@dataclass(frozen=True)
class Metrics:
    """One mart row's figures (mart_touchpoint, mart_channel, mart_month, overall)."""

    mix: Mix
    pct: dict[str, float | None]  # outcome -> % of volume
    net_delight: float | None  # % delighted - % dissatisfied, in points
    rated: int = 0
    csat_pct: float | None = None
    promises: int = 0
    promise_kept_pct: float | None = None
    resolved_timed: int = 0
    median_ttr_hours: float | None = None
    fcr_known: int = 0
    fcr_pct: float | None = None
    phrase_interactions: int = 0
    # scored outcomes the customer's own verdict decided (rating, compliment) / inferred from the
    # handling (speed, resolution, staff language); None where the mart does not count them
    from_customer: int | None = None
    from_handling: int | None = None

    @property
    def volume(self) -> int:
        return self.mix.volume


@dataclass(frozen=True)
class TouchpointStats:
    touchpoint_id: str
    name: str
    kind: str | None  # None: unmapped
    stage: str | None
    owner: str | None
    position: int
    metrics: Metrics
    volume_share: float  # % of the period's contacts
    median_expected_hours: float | None = None  # the promise or the channel's standard
    prev_volume: int | None = None  # None: no earlier period in the data
    prev_net_delight: float | None = None
    # the previous period's delighted / dissatisfied contacts, for the change's interval
    prev_delighted: int | None = None
    prev_dissatisfied: int | None = None
    reorder_drop: float | None = None  # points; from the retention stage once it exists
    quadrant: str | None = None
    # from the retention stage (mart_touchpoint_retention): reorder rate after a delighted contact
    # minus after a satisfied one, points; drop + lift (behaviour-derived importance); Kano-like
    # class (must_be, attractive, performance, indifferent, not_enough_data)
    reorder_lift: float | None = None
    reorder_importance: float | None = None
    kano_class: str | None = None

    @property
    def change(self) -> float | None:
        """Net delight against the previous period, in points."""
        if self.metrics.net_delight is None or self.prev_net_delight is None:
            return None
        return self.metrics.net_delight - self.prev_net_delight

    @property
    def change_interval(self) -> tuple[float, float, float] | None:
        """The change of net delight and its 95% interval, points (pipeline.report.stats)."""
        if self.change is None or self.prev_delighted is None or self.prev_dissatisfied is None:
            return None
        m = self.metrics
        return net_delight_change(
            m.mix.delighted, m.mix.dissatisfied, m.volume,
            self.prev_delighted, self.prev_dissatisfied, self.prev_volume or 0,
        )

    @property
    def dissatisfied_interval(self) -> tuple[float, float] | None:
        """The Wilson 95% interval of the dissatisfied share of contacts, 0-1."""
        return wilson(self.metrics.mix.dissatisfied, self.metrics.volume)


@dataclass(frozen=True)
class ReasonCount:
    """Dissatisfied contacts of a touchpoint by reason (phrase codes counted as one family)."""

    touchpoint_id: str
    reason: str  # a reason code, or `discouraged_phrase` for any discouraged_phrase:<id>
    interactions: int
    segment: str  # the segment of most of these customers (if >= the playbook share), else other
    segment_interactions: int


@dataclass(frozen=True)
class MonthMix:
    month: date
    metrics: Metrics
    in_period: bool  # False: the previous period, shown for the trend


@dataclass(frozen=True)
class ChannelSpeed:
    channel: str
    metrics: Metrics
    median_expected_hours: float | None


@dataclass(frozen=True)
class FollowUp:
    """An action an earlier report issued, looked at again in this one (the work plan's first
    section): its status from data/workplan/, its KPI then and now, and the verdict."""

    plan_id: str  # touchpoint/cause, as in workplan_actions
    touchpoint_id: str
    touchpoint: str  # in the report language
    reason: str
    action_id: str
    action: str  # in the report language
    owner: str | None
    priority: str
    set_in: str  # the label of the period whose report issued it
    due: date | None
    status: str  # open | in_progress | done | dropped (open when no owner said otherwise)
    status_note: str | None
    status_date: date | None
    kpi: str
    kpi_lower_is_better: bool
    kpi_then: float | None  # the KPI when the action was set, with its 95% interval and n
    kpi_then_low: float | None
    kpi_then_high: float | None
    kpi_then_n: int | None
    kpi_now: float | None  # the KPI in this period (None: no contacts at the touchpoint)
    kpi_now_low: float | None
    kpi_now_high: float | None
    kpi_now_n: int | None
    verdict: str  # improved | no_change | worse | unknown (decided by the interval)
    overdue: bool  # past its due date on the report date and neither done nor dropped
    continued: bool  # the same plan_id is in this period's work plan again
    # now - then and its 95% MOVER interval (pipeline.report.followup); None: unknown
    change: float | None = None
    change_low: float | None = None
    change_high: float | None = None


@dataclass(frozen=True)
class WorkPlanRow:
    rank: int
    priority: str  # P1 | P2 | P3
    touchpoint_id: str
    touchpoint: str
    stage: str | None
    owner: str
    reason: str
    reason_interactions: int  # dissatisfied contacts with this reason
    dissatisfied: int
    delighted: int
    satisfied: int
    volume: int
    dissatisfied_pct: float
    volume_share: float
    quadrant: str | None
    segment: str
    action_id: str
    action: str  # in the report language
    segment_note: str | None
    kpi: str
    kpi_lower_is_better: bool
    kpi_current: float | None  # % (0-100), points for net_delight, hours for median_ttr
    kpi_target: float | None
    expected_hours: float | None
    reorder_drop: float | None
    due: date
    status: str = "open"
    small_n: bool = False  # fewer scored contacts than the playbook's priority.small_n
    kpi_n: int | None = None  # the contacts the KPI's share is of
    # the KPI's 95% interval, as kept in workplan_actions for the next report's follow-up
    kpi_low: float | None = None
    kpi_high: float | None = None

    @property
    def plan_id(self) -> str:
        """What the action is about, stable across periods: touchpoint and cause."""
        return f"{self.touchpoint_id}/{self.reason}"

    @property
    def reason_share(self) -> float:
        """% of the touchpoint's dissatisfied contacts that have this reason."""
        return 100.0 * self.reason_interactions / self.dissatisfied if self.dissatisfied else 0.0

    @property
    def kpi_gap(self) -> float | None:
        """Current against target, signed so that negative is always short of the target."""
        if self.kpi_current is None or self.kpi_target is None:
            return None
        gap = self.kpi_current - self.kpi_target
        return -gap if self.kpi_lower_is_better else gap


@dataclass(frozen=True)
class SegmentCount:
    segment: str
    label: str
    handling: str
    customers: int
    prev_customers: int | None  # None: no earlier window


@dataclass(frozen=True)
class RepeatWindow:
    """Share of customers buying again within window_days of their first order
    (mart_repeat_purchase): of those followed for the whole window."""

    window_days: int
    primary: bool
    customers: int
    followed: int
    repeated: int
    pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None


@dataclass(frozen=True)
class RepeatCohort:
    """A first-order month: its customers, and per window (followed, repeated, share)."""

    month: date
    customers: int
    windows: dict[int, tuple[int, int, float | None]]


@dataclass(frozen=True)
class RepeatPurchase:
    """Repeat purchases from orders alone (the retention stage's mart_repeat_purchase and
    mart_repeat_cohorts), and churn over every customer with an order."""

    windows: list[RepeatWindow]
    cohorts: list[RepeatCohort]  # the latest first-order months, oldest first
    churn_days: int
    churn_known: int  # active or churned (not censored)
    churned: int
    churn_pct: float | None
    churn_ci: tuple[float, float] | None  # 0-100


@dataclass(frozen=True)
class RetentionRow:
    """Reorder rate by complaint experience; filled by the retention stage (mart_retention)."""

    group: str  # one of vocabulary.EXPERIENCE_GROUPS
    customers: int
    reordered: int
    rate_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    # Kaplan-Meier share reordered since the index (mart_retention_curves), as steps:
    # (day, reordered %, 95% low, 95% high); and customers still followed per tick day
    curve: tuple[tuple[int, float, float | None, float | None], ...] = ()
    at_risk: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class PhraseCount:
    touchpoint_id: str
    touchpoint: str
    language: str
    phrase_id: str
    label: str
    alternative: str
    interactions: int


@dataclass(frozen=True)
class SourceQuality:
    source: str
    files: int
    rows_read: int
    staged: int
    quarantined: int
    duplicates: int
    without_customer: int = 0  # interactions with no customer id: not in segments or retention
    dates_declared: bool = False  # time stamps given by the mapping, not read from the export


@dataclass(frozen=True)
class QuarantineReason:
    source: str
    reason: str
    rows: int


@dataclass(frozen=True)
class FailedExpectation:
    suite: str
    expectation: str
    column: str | None
    severity: str
    runs: int | None  # None: a batch-share (`mostly`) expectation judged over all runs
    unexpected: int | None


@dataclass(frozen=True)
class Coverage:
    source: str  # '(all)' for the total row
    volume: int
    mapped: int
    unmapped: int
    coverage_pct: float | None


@dataclass(frozen=True)
class Quality:
    sources: list[SourceQuality] = field(default_factory=list)
    quarantine: list[QuarantineReason] = field(default_factory=list)
    expectations: list[FailedExpectation] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self.sources)

    @property
    def without_customer(self) -> int:
        return sum(s.without_customer for s in self.sources)

    @property
    def dates_declared(self) -> list[str]:
        return [s.source for s in self.sources if s.dates_declared]

    def top_reasons(self, n: int = 3) -> list[tuple[str, int]]:
        totals: dict[str, int] = {}
        for q in self.quarantine:
            totals[q.reason] = totals.get(q.reason, 0) + q.rows
        return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass(frozen=True)
class Example:
    """A note quoted as an example (only with --examples), personal data masked."""

    touchpoint_id: str
    touchpoint: str
    outcome: str
    text: str


@dataclass(frozen=True)
class ReportData:
    lang: str
    report_date: date
    period: Period | None  # None: the warehouse holds no interactions
    previous: Period | None  # None: no data before the period
    sources: list[str]
    overall: Metrics | None
    touchpoints: list[TouchpointStats]
    reasons: list[ReasonCount]
    months: list[MonthMix]
    channels: list[ChannelSpeed]
    workplan: list[WorkPlanRow]
    segments: list[SegmentCount] | None  # None: not computed
    retention: list[RetentionRow] | None  # None: the retention stage has not run
    phrases: list[PhraseCount]
    quality: Quality
    # the playbook's numbers the document prints with the work plan (priority rule, due days)
    rule: dict[str, float] = field(default_factory=dict)
    # quoted notes: empty unless the run asked for examples (RunConfig.examples)
    examples: list[Example] = field(default_factory=list)
    # interactions loaded in all (every period): how much of the data the period covers
    loaded: int = 0
    orders: int | None = None  # orders loaded in all (None: not counted); 0: retention says so
    repeat: RepeatPurchase | None = None  # None: no orders, or the retention stage has not run
    staff_texts: int | None = None  # the period's contacts with staff text (None: not counted)
    # the actions an earlier report issued, followed up (empty: no earlier report's actions)
    followups: list[FollowUp] = field(default_factory=list)
    # plan_ids of the status files that no report issued: left out, and the report says so
    followup_unknown: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.overall is None or self.overall.volume == 0
