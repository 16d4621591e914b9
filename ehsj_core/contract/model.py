"""The performance contract as validated data.

A contract file (YAML, one per house and year) is parsed into `Contract`. Everything a later contract
might change — targets, thresholds, the calendar, the municipalities — lives here, never in code.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

CourseTypeKey = Literal["short", "action_plan", "growth_plan", "development_plan"]
SpecialisedCourseType = Literal["action_plan", "growth_plan", "development_plan"]
COURSE_TYPE_KEYS: tuple[str, ...] = get_args(CourseTypeKey)
SPECIALISED_COURSE_TYPES: tuple[str, ...] = get_args(SpecialisedCourseType)
TargetKind = Literal["count", "range", "rate", "score", "max_deviation", "milestone", "growth_vs_control"]
Metric = Literal[
    "courses",
    "evaluation_rate",
    "nps",
    "referral_rate",
    "meetings",
    "meeting_municipalities",
    "newsletters",
    "events",
    "agreements",
    "staff",
    "geographic_deviation",
    "milestone",
    "growth_vs_control",
]
EvaluationQuestion = Literal["satisfaction", "competence", "effect"]

# Which metrics a target kind may use: a count target needs a countable metric, and so on.
METRICS_BY_KIND: dict[str, tuple[str, ...]] = {
    "count": (
        "courses",
        "meetings",
        "meeting_municipalities",
        "newsletters",
        "events",
        "agreements",
        "staff",
    ),
    "range": ("staff", "courses", "meetings", "events", "agreements"),
    "rate": ("evaluation_rate", "referral_rate"),
    "score": ("nps",),
    "max_deviation": ("geographic_deviation",),
    "milestone": ("milestone",),
    "growth_vs_control": ("growth_vs_control",),
}
GoalCategory = Literal["national", "common", "local"]
GOAL_CATEGORIES: dict[str, str] = {
    "national": "nationalt mål",
    "common": "fælles mål for alle erhvervshuse",
    "local": "lokalt aftalt mål",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Municipality(_Strict):
    name: str = Field(min_length=1)
    population: int = Field(gt=0)
    share_pct: float = Field(ge=0, le=100, description="Share of the population as printed in the contract")
    contribution_dkk: int = Field(ge=0)


class CourseType(_Strict):
    key: CourseTypeKey
    name: str
    category: str
    evaluated: bool


class FulfilmentStep(_Strict):
    at_least: float
    fulfilment_pct: int = Field(ge=0, le=100)


class MetricParams(_Strict):
    """Filters of a metric; each metric reads the ones it needs (see `METRIC_PARAMS`)."""

    course_types: tuple[CourseTypeKey, ...] = ()
    topic: str | None = None
    question: EvaluationQuestion | None = None
    meeting_kinds: tuple[str, ...] = ()
    event_kinds: tuple[str, ...] = ()
    min_participants: int | None = Field(default=None, ge=0)
    agreement_kinds: tuple[str, ...] = ()
    role: str | None = None
    channel_kinds: tuple[Literal["local_business_council", "house", "other"], ...] = ()
    measure: Literal["jobs", "turnover"] | None = None


class Target(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    kind: TargetKind
    metric: Metric
    params: MetricParams = MetricParams()
    target: float | None = None
    target_min: float | None = None
    target_max: float | None = None
    deadline: dt.date | None = None
    steps: tuple[FulfilmentStep, ...] = ()
    note: str | None = None

    @model_validator(mode="after")
    def _kind_fits(self) -> Target:
        if self.metric not in METRICS_BY_KIND[self.kind]:
            allowed = ", ".join(METRICS_BY_KIND[self.kind])
            raise ValueError(
                f"target {self.key!r}: metric {self.metric!r} does not fit kind {self.kind!r}; allowed: {allowed}"
            )
        if self.kind == "range":
            if self.target_min is None or self.target_max is None or self.target_min > self.target_max:
                raise ValueError(f"target {self.key!r}: a range needs target_min <= target_max")
        elif self.kind == "milestone":
            if self.target is not None:
                raise ValueError(f"target {self.key!r}: a milestone has no numeric target")
        elif self.target is None:
            raise ValueError(f"target {self.key!r}: kind {self.kind!r} needs a numeric 'target'")
        if self.kind == "rate" and self.metric == "evaluation_rate" and self.params.question is None:
            raise ValueError(f"target {self.key!r}: evaluation_rate needs params.question")
        if self.metric == "growth_vs_control" and self.params.measure is None:
            raise ValueError(f"target {self.key!r}: growth_vs_control needs params.measure (jobs or turnover)")
        if self.metric == "referral_rate" and len(self.params.course_types) != 1:
            raise ValueError(f"target {self.key!r}: referral_rate needs exactly one course type")
        if self.steps and self.target is not None and max(s.at_least for s in self.steps) != self.target:
            raise ValueError(f"target {self.key!r}: the highest fulfilment step must equal the target")
        return self


class Goal(_Strict):
    id: str = Field(pattern=r"^[0-9]+[A-Z]?$")
    title: str
    description: str | None = None
    # The contract's three groups of goals (seed L28–34): national, common to every house, agreed
    # locally. Older files say `national: true`, read as the category national.
    category: GoalCategory = "common"
    # "all_targets": the goal is 100 % fulfilled when every target is met, else 0 % (goal 6, L882–886)
    fulfilment: Literal["all_targets"] | None = None
    fulfilment_note: str | None = None
    targets: tuple[Target, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _national_flag(cls, data: object) -> object:
        if isinstance(data, dict) and "national" in data:
            data = dict(data)
            national = data.pop("national")
            if national and data.get("category", "national") != "national":
                raise ValueError(f"goal {data.get('id')}: national: true, but category {data['category']!r}")
            data.setdefault("category", "national" if national else "common")
        return data

    @property
    def national(self) -> bool:
        return self.category == "national"

    @model_validator(mode="after")
    def _unique_keys(self) -> Goal:
        keys = [t.key for t in self.targets]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"goal {self.id}: duplicate target keys {dupes}")
        return self


class MeasurementRules(_Strict):
    """Thresholds of the measurement rules (domain.md), kept here so a later contract can change them."""

    satisfaction_min_score: int = Field(default=4, ge=1, le=5)
    competence_min_score: int = Field(default=4, ge=1, le=5)
    nps_promoter_min: int = Field(default=9, ge=0, le=10)
    nps_detractor_max: int = Field(default=6, ge=0, le=10)
    effect_answers: tuple[str, ...] = ("hoj", "nogen")
    # Of the effect answers, those that make "høj påvirkning"; the rest of `effect_answers` make
    # "middel påvirkning" (seed L564–568): the two parts reports show beside the effect figure.
    effect_high_answers: tuple[str, ...] = ("hoj",)
    # Which evaluations count, and in which year (domain.md, "Which evaluations count"):
    # - per_company_in_course_year: an answer counts in the contract year of the company's latest
    #   course of that type on or before the answer date; each company once per course type and
    #   year, with its latest answer; an answer without such a course counts nowhere (unmatched);
    # - per_answer_in_answer_year: every answer counts, in the year it was given.
    evaluations: Literal["per_company_in_course_year", "per_answer_in_answer_year"] = "per_company_in_course_year"
    # How "10 % højere vækst end kontrolgruppen" is judged (goal 2, seed L532–540): `points` —
    # customers' growth minus the control group's, in percentage points; `relative` — that
    # difference as a share of the control group's growth (undefined when the control's growth is 0).
    growth_comparison: Literal["points", "relative"] = "points"


ReportKind = Literal["quarterly_status", "half_year_report", "annual_status", "final_statement"]
Audience = Literal["business_chiefs", "k17", "kkr", "director"]
Every = Literal["quarter", "half_year", "year"]


class ScheduledReport(_Strict):
    """One report of the calendar. `after: period` (the default): sent `send_days_after_period` days
    after each period ends. `after: close` (the final statement only): sent that many days after the
    day the year was closed (`period.closed`), once per close still in force then."""

    kind: ReportKind
    audience: Audience
    every: Every
    label: str
    after: Literal["period", "close"] = "period"
    send_days_after_period: int = Field(ge=0, le=60, description="send this many days after the period ends")
    send_time: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    @model_validator(mode="after")
    def _close_for_the_final_statement(self) -> ScheduledReport:
        if (self.kind == "final_statement") != (self.after == "close"):
            raise ValueError(f"calendar {self.kind}: the final statement, and only it, is sent after the close")
        return self


class Reminders(_Strict):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    send_time: str = Field(default="07:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    deadline_warning_days: int = Field(default=30, ge=1)


class Meeting(_Strict):
    body: str
    when: str = Field(description="as written in the contract, e.g. 'juni 2019'")
    date: dt.date | None = None


class Calendar(_Strict):
    reports: tuple[ScheduledReport, ...]
    reminders: Reminders = Reminders()
    meetings: tuple[Meeting, ...] = ()


class Contract(_Strict):
    house: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    house_name: str
    year: int = Field(ge=2000, le=2100)
    # A fictitious example (every house's demo contract but Sjælland's real 2019 one, issue 14): every
    # page, e-mail and document made from it says so.
    fictitious: bool = False
    title: str
    parties: tuple[str, ...] = ()
    source: str | None = None
    timezone: str = "Europe/Copenhagen"
    municipalities: tuple[Municipality, ...] = Field(min_length=1)
    course_types: tuple[CourseType, ...]
    rules: MeasurementRules = MeasurementRules()
    calendar: Calendar
    goals: tuple[Goal, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        names = [m.name.casefold() for m in self.municipalities]
        if len(set(names)) != len(names):
            raise ValueError("municipalities: duplicate names")
        ids = [g.id for g in self.goals]
        if len(set(ids)) != len(ids):
            raise ValueError("goals: duplicate goal ids")
        keys = sorted(c.key for c in self.course_types)
        if keys != sorted(COURSE_TYPE_KEYS):
            raise ValueError(f"course_types: must define exactly {', '.join(COURSE_TYPE_KEYS)}")
        for goal in self.goals:
            for target in goal.targets:
                if target.deadline and target.deadline.year != self.year:
                    raise ValueError(f"target {goal.id}.{target.key}: deadline outside {self.year}")
        return self

    # --- lookups -------------------------------------------------------------------------------
    @property
    def population_total(self) -> int:
        return sum(m.population for m in self.municipalities)

    def canonical_municipality(self, name: str) -> str | None:
        """The contract's spelling of a municipality name, matched case-insensitively."""
        folded = name.strip().casefold()
        for m in self.municipalities:
            if m.name.casefold() == folded:
                return m.name
        return None

    def goal(self, goal_id: str) -> Goal | None:
        return next((g for g in self.goals if g.id.casefold() == goal_id.casefold()), None)

    def measured_target_kinds(self) -> dict[str, str]:
        """`"<goal>.<target>"` → kind, for every target with a figure (all but the milestones): the
        targets an official figure may be recorded for."""
        return {f"{g.id}.{t.key}": t.kind for g in self.goals for t in g.targets if t.kind != "milestone"}

    def milestone_keys(self) -> dict[str, str]:
        """`"<goal>.<target>"` → label, for every milestone target."""
        return {f"{g.id}.{t.key}": t.label for g in self.goals for t in g.targets if t.kind == "milestone"}

    def course_type(self, key: str) -> CourseType:
        return next(c for c in self.course_types if c.key == key)


Percent = Annotated[float, Field(ge=0, le=100)]
