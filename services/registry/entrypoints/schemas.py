"""Bodies of the registry's HTTP APIs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.registry.domain.checks import Finding
from services.registry.domain.decisions import Decision
from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.domain.pledge import PledgeFiling
from services.registry.domain.register import Holder, Patent, Trademark
from shared.identifiers import normalize_uscc, parse_patent_number, parse_trademark_number

Uscc = Annotated[
    str,
    AfterValidator(normalize_uscc),
    Field(
        description="Unified Social Credit Code (GB 32100-2015)", examples=["91330100609123456B"]
    ),
]
PatentNumberText = Annotated[
    str,
    AfterValidator(lambda v: parse_patent_number(v).canonical),
    Field(description="Patent application number", examples=["CN201710601862.3"]),
]
TrademarkNumberText = Annotated[
    str,
    AfterValidator(parse_trademark_number),
    Field(description="Trademark registration number", examples=["12345678"]),
]


class PartyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    uscc: Uscc
    address: str = Field(min_length=1, max_length=500)

    def to_domain(self) -> Party:
        return Party(self.name, self.uscc, self.address)


class PledgeFilingIn(BaseModel):
    """A joint application of pledgor and pledgee to register a pledge."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pledgor": {
                        "name": "Shanghai Lens Optics Co., Ltd.",
                        "uscc": "91310115MA1K3YJ67U",
                        "address": "1 Zhangjiang Road, Shanghai",
                    },
                    "pledgee": {
                        "name": "Hangzhou Science and Technology Bank",
                        "uscc": "91330100609123456B",
                        "address": "88 Qianjiang Road, Hangzhou",
                    },
                    "debt_type": "loan",
                    "secured_amount": "1500000.00",
                    "performance_deadline": "2027-11-20",
                    "patents": ["CN201710601862.3"],
                    "scope_of_guarantee": "principal and interest",
                }
            ]
        }
    )

    pledgor: PartyIn
    pledgee: PartyIn
    debt_type: str = Field(min_length=1, max_length=100)
    secured_amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    performance_deadline: date
    patents: list[PatentNumberText] = Field(default_factory=list, max_length=100)
    trademarks: list[TrademarkNumberText] = Field(default_factory=list, max_length=100)
    scope_of_guarantee: str = Field(min_length=1, max_length=1000)
    co_owner_consents: list[Uscc] = Field(default_factory=list)
    acknowledgements: list[
        Literal["patent.same_day_invention_utility", "patent.invalidation_pending"]
    ] = Field(default_factory=list, description="Warnable grounds the parties accept")

    def to_domain(self, filed_on: date) -> PledgeFilingData:
        return PledgeFilingData(
            pledgor=self.pledgor.to_domain(),
            pledgee=self.pledgee.to_domain(),
            debt_type=self.debt_type,
            secured_amount=self.secured_amount,
            performance_deadline=self.performance_deadline,
            patents=tuple(dict.fromkeys(self.patents)),
            trademarks=tuple(dict.fromkeys(self.trademarks)),
            scope_of_guarantee=self.scope_of_guarantee,
            co_owner_consents=tuple(self.co_owner_consents),
            acknowledged=frozenset(self.acknowledgements),
            filed_on=filed_on,
        )


class FindingOut(BaseModel):
    code: str
    right: str | None
    message: str
    severity: str
    acknowledged: bool
    related: list[str]


class ReasonOut(BaseModel):
    code: str
    message: str


class DecisionOut(BaseModel):
    action: str
    examiner: str
    at: datetime
    reasons: list[ReasonOut]
    message: str | None


class PartyOut(BaseModel):
    name: str
    uscc: str
    address: str

    @classmethod
    def of(cls, party: Party) -> PartyOut:
        return cls(name=party.name, uscc=party.uscc, address=party.address)


class PledgeFilingOut(BaseModel):
    filing_id: str
    filing_reference: str | None
    channel: str
    status: str
    registration_number: str | None
    received_at: datetime
    deadline_at: datetime
    deadline_provisional: bool
    corrected_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    claimed_by: str | None
    sla_breached_at: datetime | None
    pledgor: PartyOut
    pledgee: PartyOut
    patents: list[str]
    trademarks: list[str]
    findings: list[FindingOut]
    decisions: list[DecisionOut]

    @classmethod
    def of(cls, filing: PledgeFiling) -> PledgeFilingOut:
        return cls(
            filing_id=filing.filing_id,
            filing_reference=filing.filing_reference,
            channel=filing.channel,
            status=filing.status.value,
            registration_number=filing.registration_number,
            received_at=filing.received_at,
            deadline_at=filing.deadline_at,
            deadline_provisional=filing.deadline_provisional,
            corrected_at=filing.corrected_at,
            decided_at=filing.decided_at,
            decided_by=filing.decided_by,
            claimed_by=filing.claimed_by,
            sla_breached_at=filing.sla_breached_at,
            pledgor=PartyOut.of(filing.data.pledgor),
            pledgee=PartyOut.of(filing.data.pledgee),
            patents=list(filing.data.patents),
            trademarks=list(filing.data.trademarks),
            findings=findings_out(filing.findings),
            decisions=[decision_out(d) for d in filing.decisions],
        )


def findings_out(findings: Iterable[Finding]) -> list[FindingOut]:
    return [
        FindingOut(
            code=f.code,
            right=f.right,
            message=f.message,
            severity=str(f.severity),
            acknowledged=f.acknowledged,
            related=list(f.related),
        )
        for f in findings
    ]


def decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        action=decision.action.value,
        examiner=decision.examiner,
        at=decision.at,
        reasons=[ReasonOut(code=r.code, message=r.message) for r in decision.reasons],
        message=decision.message,
    )


class HolderIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    uscc: Uscc


class PatentIn(BaseModel):
    """A patent entry of the register."""

    number: PatentNumberText
    title: str = Field(min_length=1, max_length=500)
    holders: list[HolderIn] = Field(min_length=1, description="Patentee of record first")
    filing_date: date
    grant_date: date | None = None
    legal_status: Literal["valid", "terminated", "expired", "invalid", "pending"]
    fees_paid_through: date
    frozen: bool = False
    invalidation_pending: bool = False
    main_ipc: str = Field(default="", max_length=32)

    def to_domain(self) -> Patent:
        kind = parse_patent_number(self.number).kind.name.lower()
        return Patent(
            number=self.number,
            kind=kind,  # type: ignore[arg-type]
            title=self.title,
            holders=tuple(Holder(h.name, h.uscc) for h in self.holders),
            filing_date=self.filing_date,
            grant_date=self.grant_date,
            legal_status=self.legal_status,
            fees_paid_through=self.fees_paid_through,
            frozen=self.frozen,
            invalidation_pending=self.invalidation_pending,
            main_ipc=self.main_ipc,
        )


class TrademarkIn(BaseModel):
    """A trademark entry of the register."""

    number: TrademarkNumberText
    nice_class: int = Field(ge=1, le=45)
    goods: list[str] = Field(min_length=1, description="Similar-goods group codes")
    mark: str = Field(min_length=1, max_length=200)
    owner: HolderIn
    valid_until: date
    status: Literal["registered", "revoked", "cancelled", "expired"] = "registered"
    frozen: bool = False

    def to_domain(self) -> Trademark:
        return Trademark(
            number=self.number,
            nice_class=self.nice_class,
            goods=tuple(self.goods),
            mark=self.mark,
            owner=Holder(self.owner.name, self.owner.uscc),
            valid_until=self.valid_until,
            status=self.status,
            frozen=self.frozen,
        )
