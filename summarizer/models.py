"""The structured summary: what the library returns, and what the model is asked for.

Two families live here:

* The public result, :class:`ArticleSummary` and its parts. Every quote, cue and trigger is a
  :class:`Span` whose offsets were computed by our code from the article text, so
  ``text[span.start:span.end] == span.text`` always holds; :meth:`ArticleSummary.check_grounded`
  proves it for a given text.
* The model-facing answers (``*Answer`` classes), deliberately small: the model refers to
  numbered sentences (``[S4]``) instead of copying text, because small models paraphrase when
  they copy and copying costs completion tokens. Their validators check every reference
  against the article (passed as validation context) and their error messages are what the
  model reads on a re-ask, so they say exactly what was wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:
    from summarizer.grounding import AlignedText, Sentence

__all__ = [
    "SCHEMA_VERSION",
    "ArticleMeta",
    "ArticleSummary",
    "AttributionAnswer",
    "Basis",
    "Claim",
    "ClaimKind",
    "Commitment",
    "Counterclaim",
    "Event",
    "EventAnswer",
    "EventArgument",
    "EventStatus",
    "Evidence",
    "EvidenceAnswer",
    "EvidenceStatus",
    "Inconsistency",
    "OverviewAnswer",
    "Provenance",
    "Shown",
    "Source",
    "SourceType",
    "Span",
    "Stance",
    "SummarySentence",
    "TimeRef",
    "Usage",
    "attribution_model",
]

SCHEMA_VERSION = "2.1"
"""1.1: Counterclaim.stance_note; 1.2: ArticleMeta.author; 2.0: Event.arguments (role and
span, the source an argument names), Event.event_class and Event.key replace the never filled
Event.where and Event.participants; Inconsistency.basis; Source.role and Claim.paraphrase,
never filled, removed."""


class SourceType(StrEnum):
    named_on_record = "named_on_record"
    anonymous_described = "anonymous_described"
    anonymous_unspecified = "anonymous_unspecified"
    institution = "institution"
    document = "document"
    other_outlet = "other_outlet"
    reporter = "reporter"


class EventStatus(StrEnum):
    occurred = "occurred"
    ongoing = "ongoing"
    planned = "planned"
    alleged = "alleged"
    denied = "denied"


class Commitment(StrEnum):
    asserted = "asserted"
    hedged = "hedged"
    conditional = "conditional"
    negated = "negated"


class EvidenceStatus(StrEnum):
    """What the *article* shows about the evidence for a claim, not whether it is true."""

    provided = "provided"
    referenced_not_disclosed = "referenced_not_disclosed"
    none_provided = "none_provided"
    contested = "contested"
    not_applicable = "not_applicable"
    unclear = "unclear"


class Stance(StrEnum):
    denies = "denies"
    disputes = "disputes"
    qualifies = "qualifies"
    deflects = "deflects"
    supports = "supports"


class Basis(StrEnum):
    """Where a judgement came from. ``model`` alone is an unverified guess of the model;
    ``not_assessed`` means nobody judged it (the status is then ``unclear``)."""

    model = "model"
    cue = "cue"
    model_and_cue = "model+cue"
    not_assessed = "not_assessed"


_Frozen = ConfigDict(frozen=True, extra="forbid")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Span(BaseModel):
    """A verbatim piece of the article; offsets are computed by our code, end-exclusive."""

    model_config = _Frozen
    text: str
    start: Annotated[int, Field(ge=0)]
    end: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start or self.end - self.start != len(self.text):
            raise ValueError("span offsets do not match its text length")
        return self

    @classmethod
    def of(cls, text: str, start: int, end: int) -> Span:
        return cls(text=text[start:end], start=start, end=end)


class Source(BaseModel):
    model_config = _Frozen
    id: str
    name: str
    type: SourceType
    via: str | None = Field(
        default=None, description="id of the source this one was relayed through"
    )


class TimeRef(BaseModel):
    model_config = _Frozen
    text: str
    date: dt.date | None = Field(default=None, description="ISO date when resolvable")


class EventArgument(BaseModel):
    """Who or what takes part in an event, or where it happens, as written in the article."""

    model_config = _Frozen
    role: str = Field(description="its role, a KAIROS name: Place, Passenger, Attacker …")
    span: Span
    source: str | None = Field(default=None, description="id of the source it names, if any")


class Event(BaseModel):
    model_config = _Frozen
    id: str
    what: str
    trigger: Span
    event_class: str | None = Field(
        default=None, description="the trigger class of the language pack (movement, attack …)"
    )
    arguments: list[EventArgument] = Field(default_factory=list)
    when: TimeRef | None = None
    status: EventStatus
    reported_by: str | None = Field(
        default=None, description="id of the source whose statement tells it, if one does"
    )
    key: bool = Field(default=False, description="one of the events the summary rests on")


class Evidence(BaseModel):
    model_config = _Frozen
    status: EvidenceStatus
    cue: Span | None = None
    note: str | None = None
    basis: Basis = Basis.model
    confidence: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="the probability the model gave its label, when the endpoint returns "
        "log-probabilities; a label under the threshold is reported unclear",
    )


class _Statement(BaseModel):
    """What claims and counterclaims share: who says what, how firmly, on what evidence."""

    model_config = _Frozen
    id: str
    speaker: str = Field(description="source id")
    quote: Span
    commitment: Commitment = Commitment.asserted
    commitment_basis: Basis = Basis.model
    commitment_cue: Span | None = Field(
        default=None, description="the words that mark the commitment, when a cue decided it"
    )
    commitment_note: str | None = None
    evidence: Evidence


class Claim(_Statement):
    about: list[str] = Field(default_factory=list, description="event ids")


class Counterclaim(_Statement):
    target: str = Field(description="claim id")
    stance: Stance
    stance_basis: Basis = Basis.model
    stance_note: str | None = Field(
        default=None,
        description="why the stance is what it is: the cue that decided it (and the model's "
        "own label if it differed), or how sure the model was",
    )


class Inconsistency(BaseModel):
    model_config = _Frozen
    id: str
    what: str
    spans: list[Span]
    basis: Basis = Field(
        default=Basis.model,
        description=(
            "model: the model named it; model+cue: the figures' rule proposed it and the model "
            "said both figures count the same group"
        ),
    )


class SummarySentence(BaseModel):
    model_config = _Frozen
    text: str
    refs: list[str] = Field(
        default_factory=list, description="ids of the claims, counterclaims and events it rests on"
    )


class Usage(BaseModel):
    """Cost of one summary, summed over every attempt, failed ones included."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    reasks: int = 0
    transport_retries: int = 0
    seconds: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        """Two usages together, e.g. every article of one command (``sum(u, Usage())``)."""
        fields = Usage.model_fields
        return Usage(**{name: getattr(self, name) + getattr(other, name) for name in fields})


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    backend: str
    prompt_version: str
    schema_version: str = SCHEMA_VERSION
    usage: Usage
    warnings: list[str] = Field(
        default_factory=list, description="what was dropped or degraded, and why"
    )


class ArticleMeta(BaseModel):
    model_config = _Frozen
    title: str | None = None
    language: str = Field(description="BCP-47, detected or given")
    outlet: str | None = None
    author: str | None = Field(default=None, description="the article's byline")
    url: str | None = None
    published: dt.date | None = None
    sha256: str
    chars: int

    @field_validator("title", "language", "outlet", "url")
    @classmethod
    def _encodable(cls, v: str | None) -> str | None:
        """A page's declared charset can decode its title into a lone surrogate, which no
        UTF-8 writer (JSON, a file, the store) accepts: it becomes U+FFFD here, once."""
        return None if v is None else _SURROGATE.sub("\ufffd", v)


class ArticleSummary(BaseModel):
    """The structured summary of one article; every reference resolves (checked on build)."""

    model_config = ConfigDict(extra="forbid")
    article: ArticleMeta
    summary: list[SummarySentence]
    sources: list[Source]
    events: list[Event]
    claims: list[Claim]
    counterclaims: list[Counterclaim]
    inconsistencies: list[Inconsistency]
    provenance: Provenance

    @model_validator(mode="after")
    def _references_resolve(self) -> ArticleSummary:
        groups: list[list[str]] = [
            [s.id for s in self.sources],
            [e.id for e in self.events],
            [c.id for c in self.claims],
            [c.id for c in self.counterclaims],
            [i.id for i in self.inconsistencies],
        ]
        all_ids = [i for g in groups for i in g]
        dupes = sorted({i for i in all_ids if all_ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate ids: {dupes}")
        sources, events, claims, responses = (set(g) for g in groups[:4])
        known_ref = events | claims | responses
        refs: list[tuple[str, str, set[str]]] = [
            *((f"source {x.id} via", x.via, sources) for x in self.sources if x.via),
            *(
                (f"event {e.id} reported_by", e.reported_by, sources)
                for e in self.events
                if e.reported_by
            ),
            *(
                (f"event {e.id} argument", a.source, sources)
                for e in self.events
                for a in e.arguments
                if a.source
            ),
            *((f"claim {c.id} speaker", c.speaker, sources) for c in self.claims),
            *((f"claim {c.id} about", a, events) for c in self.claims for a in c.about),
            *((f"counterclaim {c.id} target", c.target, claims) for c in self.counterclaims),
            *((f"counterclaim {c.id} speaker", c.speaker, sources) for c in self.counterclaims),
            *(("summary ref", r, known_ref) for x in self.summary for r in x.refs),
        ]
        problems = [
            f"{where} {ref!r} does not resolve" for where, ref, known in refs if ref not in known
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def source(self, source_id: str) -> Source:
        """The source with this id (claims, counterclaims and events name sources by id)."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(f"no source {source_id!r} in this summary")

    def speaker_name(self, statement: Claim | Counterclaim | str) -> str:
        """Who makes a claim or counterclaim (or who a source id is): ``Patrick Ryder``, not
        ``s1``. A method, so the JSON keeps one copy of each name."""
        source_id = statement if isinstance(statement, str) else statement.speaker
        return self.source(source_id).name

    def spans(self) -> list[Span]:
        """Every span in the summary, for grounding checks and highlighting."""
        out: list[Span] = [e.trigger for e in self.events]
        out += [a.span for e in self.events for a in e.arguments]
        statements: list[Claim | Counterclaim] = [*self.claims, *self.counterclaims]
        for c in statements:
            out.append(c.quote)
            if isinstance(c, Claim) and c.commitment_cue is not None:
                out.append(c.commitment_cue)
            if c.evidence.cue is not None:
                out.append(c.evidence.cue)
        out += [s for i in self.inconsistencies for s in i.spans]
        return out

    def check_grounded(self, text: str) -> list[str]:
        """Return a message for every span that is not ``text[start:end]`` (empty if grounded)."""
        return [
            f"span {s.start}:{s.end} {s.text[:40]!r} is not in the article"
            for s in self.spans()
            if text[s.start : s.end] != s.text
        ]


# ---------------------------------------------------------------------------------------------
# Model-facing answers: small on purpose (every completion token costs ~70 ms on a 2-core CPU).
# Validators that need the article read it from the validation context:
# {"sentences": list[Sentence], "aligned": AlignedText}.

_Short = Annotated[str, Field(min_length=1, max_length=160)]
_SentenceId = Annotated[int, Field(ge=1)]
"""A sentence number as the model sees it ([S1] is the first); the bound is in the schema so
that grammar-constrained decoding cannot produce the 0 that validation would refuse."""


def _ctx(info: ValidationInfo) -> tuple[list[Sentence], AlignedText] | None:
    ctx: Any = info.context
    if not isinstance(ctx, dict) or "sentences" not in ctx:
        return None
    return ctx["sentences"], ctx["aligned"]


def _check_sentence(n: int, info: ValidationInfo) -> int:
    got = _ctx(info)
    if got is not None and not 1 <= n <= len(got[0]):
        raise ValueError(f"S{n} does not exist: sentence ids go from S1 to S{len(got[0])}")
    return n


class AttributionAnswer(BaseModel):
    """Pass 1, one statement sentence at a time. ``speaker`` and ``relayed_by`` are narrowed
    to the names found in the article by :func:`attribution_model`."""

    speaker: str = Field(description="who makes the statement in this sentence")
    speaker_type: SourceType
    relayed_by: str | None = Field(
        default=None, description="outlet or source that relays it ('according to X'), or null"
    )
    kind: Literal["claim", "response", "none"] = Field(
        description="claim; response to an earlier claim; none if no source states anything"
    )
    stance: Stance | None = Field(default=None, description="for a response only")
    commitment: Commitment = Commitment.asserted


def attribution_model(names: list[str]) -> type[AttributionAnswer]:
    """An :class:`AttributionAnswer` whose speaker must be one of ``names`` (a grammar enum)."""
    options = tuple(dict.fromkeys(names)) or ("unnamed source",)
    speaker = Literal[options]  # type: ignore[valid-type]
    return create_model(
        "AttributionAnswer",
        __base__=AttributionAnswer,
        speaker=(speaker, Field(description="who makes the statement in this sentence")),
        relayed_by=(speaker | None, None),
    )


class EventAnswer(BaseModel):
    sentence: _SentenceId
    trigger: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="the word of that sentence naming the event, copied exactly"
    )
    what: _Short
    when: Annotated[str, Field(max_length=60)] | None = None
    status: EventStatus

    _sentence = field_validator("sentence")(_check_sentence)

    @model_validator(mode="after")
    def _trigger_in_sentence(self, info: ValidationInfo) -> EventAnswer:
        got = _ctx(info)
        if got is not None and 1 <= self.sentence <= len(got[0]):
            s = got[0][self.sentence - 1]
            if got[1].find_words(self.trigger, s.start, s.end) is None:
                raise ValueError(
                    f"trigger {self.trigger[:60]!r} is not written in S{self.sentence}; copy "
                    f"the word of S{self.sentence} that names the event"
                )
        return self


class InconsistencyAnswer(BaseModel):
    sentences: Annotated[list[_SentenceId], Field(min_length=2, max_length=3)]
    what: _Short

    @field_validator("sentences")
    @classmethod
    def _ids(cls, v: list[int], info: ValidationInfo) -> list[int]:
        return [_check_sentence(n, info) for n in v]


class SummaryAnswer(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=300)]
    sentences: Annotated[list[_SentenceId], Field(min_length=1, max_length=4)]

    @field_validator("sentences")
    @classmethod
    def _ids(cls, v: list[int], info: ValidationInfo) -> list[int]:
        return [_check_sentence(n, info) for n in v]


class OverviewAnswer(BaseModel):
    """Pass 2: a short summary, the events and what disagrees inside the article."""

    events: Annotated[list[EventAnswer], Field(min_length=1, max_length=5)]
    inconsistencies: Annotated[list[InconsistencyAnswer], Field(max_length=2)]
    summary: Annotated[list[SummaryAnswer], Field(min_length=1, max_length=3)]


class ClaimKind(StrEnum):
    """What kind of statement a claim is, as the evidence pass asks it: only a ``fact`` has
    evidence to look for."""

    fact = "fact"
    opinion = "opinion"
    forecast = "forecast"
    promise = "promise"
    plan = "plan"
    call = "call"
    own_decision = "own_decision"


class Shown(StrEnum):
    """What the article shows of a fact's evidence, as the evidence pass asks it."""

    shown = "shown"
    said_to_exist = "said_to_exist"
    none_given = "none_given"
    contested = "contested"
    not_discussed = "not_discussed"


_STATUS_OF = {
    Shown.shown: EvidenceStatus.provided,
    Shown.said_to_exist: EvidenceStatus.referenced_not_disclosed,
    Shown.none_given: EvidenceStatus.none_provided,
    Shown.contested: EvidenceStatus.contested,
    Shown.not_discussed: EvidenceStatus.unclear,
}


class EvidenceAnswer(BaseModel):
    """Pass 3, for each claim asked about, two small questions instead of one label of six:
    is it a checkable fact, and what does the article show of its evidence."""

    statement: ClaimKind
    evidence: Shown = Shown.not_discussed
    cue_sentence: _SentenceId | None = Field(
        default=None, description="id of the sentence that shows it, else null"
    )

    @field_validator("cue_sentence")
    @classmethod
    def _ids(cls, v: int | None, info: ValidationInfo) -> int | None:
        return None if v is None else _check_sentence(v, info)

    @property
    def status(self) -> EvidenceStatus:
        """The evidence status the two answers make: anything but a fact has nothing to
        evidence."""
        if self.statement is not ClaimKind.fact:
            return EvidenceStatus.not_applicable
        return _STATUS_OF[self.evidence]
