"""Bodies of the registry's HTTP APIs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.registry.domain.checks import Finding
from services.registry.domain.decisions import Decision
from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.domain.register import Holder, Patent, Trademark
from shared.fields import Day, Line, Message, PatentNumber, RequestModel, TrademarkNumber, Uscc
from shared.identifiers import InvalidIdentifier, parse_patent_number
from shared.money import Money, MoneyOut

IPC_PATTERN = r"^([A-H][0-9]{2}[A-Z] ?[0-9]{1,4}/[0-9]{2,6})?$"
GoodsGroup = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}$",
        description="Group of the Similar Goods and Services Classification, e.g. 0901",
    ),
]


class PartyIn(RequestModel):
    name: Line = Field(
        max_length=200,
        description="Registered name of the enterprise, as on its business licence",
    )
    uscc: Uscc
    address: Line = Field(max_length=500, description="Registered address of the enterprise")

    def to_domain(self) -> Party:
        return Party(self.name, self.uscc, self.address)


class PledgeFilingIn(RequestModel):
    """A joint application of pledgor and pledgee to register a pledge."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pledgor": {
                        "name": "Shanghai Lens Optics Co., Ltd.",
                        "uscc": "91310115MA1K3YJ675",
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

    pledgor: PartyIn = Field(
        description="The right holder pledging its patents or trademarks (borrower or guarantor)"
    )
    pledgee: PartyIn = Field(
        description="The creditor taking the pledge; for a bank's filing, the calling bank itself"
    )
    debt_type: Line = Field(max_length=100, description="Kind of principal debt secured, e.g. loan")
    secured_amount: Money = Field(
        description="Amount of the secured principal debt, in yuan to the fen (two decimals)",
    )
    performance_deadline: Day = Field(
        description="Date by which the debtor must perform the secured debt"
    )
    patents: list[PatentNumber] = Field(
        default_factory=list,
        max_length=100,
        description="Patent application numbers pledged (duplicates are ignored)",
    )
    trademarks: list[TrademarkNumber] = Field(
        default_factory=list,
        max_length=100,
        description="Trademark registration numbers pledged (duplicates are ignored)",
    )
    scope_of_guarantee: Message = Field(
        max_length=1000,
        description="What the pledge secures: principal, interest, damages, costs of enforcement",
    )
    co_owner_consents: list[Uscc] = Field(
        default_factory=list,
        max_length=50,
        description="USCCs of the co-owners of pledged rights who consent to the pledge",
    )
    acknowledgements: list[
        Literal["patent.same_day_invention_utility", "patent.invalidation_pending"]
    ] = Field(default_factory=list, description="Warnable grounds the parties accept")
    same_day_invention_utility: list[PatentNumber] = Field(
        default_factory=list,
        max_length=100,
        description="Pledged patents the parties declare to be one of an invention and a "
        "utility-model application the same applicant filed on the same day (a warning the "
        "parties must acknowledge); the registry also finds pairs linked on the register",
    )

    @field_validator("same_day_invention_utility")
    @classmethod
    def _declared_for_pledged_patents(cls, value: list[str], info: ValidationInfo) -> list[str]:
        pledged = set(info.data.get("patents") or ())
        strangers = [number for number in value if number not in pledged]
        if strangers:
            raise InvalidIdentifier(
                "filing.same_day_not_pledged",
                f"not among the pledged patents: {', '.join(strangers)}",
            )
        return list(dict.fromkeys(value))

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
            same_day_utility_invention=tuple(self.same_day_invention_utility),
        )


class FindingOut(BaseModel):
    code: str = Field(
        description="Stable code of the check that raised the finding, e.g. patent.fees_unpaid"
    )
    right: str | None = Field(
        description="Patent or trademark number concerned, if the finding is about one right"
    )
    message: str = Field(description="What the check found, in words")
    severity: str = Field(
        description="refusal (the filing cannot be registered) or warning (may be acknowledged)"
    )
    acknowledged: bool = Field(
        description="Whether the parties acknowledged this warning in their filing"
    )
    related: list[str] = Field(
        description="Other filings or registrations involved, e.g. an earlier pledge of the right"
    )


class ReasonOut(BaseModel):
    code: str = Field(description="Stable code of the refusal ground, e.g. contract.incomplete")
    message: str = Field(description="The examiner's explanation")


class DecisionOut(BaseModel):
    action: str = Field(
        description="claimed, registered, refused, correction_requested, warnings_acknowledged, "
        "released or reassigned"
    )
    examiner: str = Field(description="Identifier of the examiner or supervisor who decided")
    at: datetime = Field(description="When the decision was taken (UTC)")
    reasons: list[ReasonOut] = Field(
        description="Coded grounds of a refusal; empty for other decisions"
    )
    message: str | None = Field(
        description="What the parties must correct, for a correction request; how the parties "
        "confirmed, for an acknowledgement of warnings"
    )
    fields: list[str] = Field(
        description="For a correction request, the terms the parties may correct"
    )
    acknowledged: list[str] = Field(
        description="For an acknowledgement, the warning codes the parties confirmed"
    )
    assignee: str | None = Field(
        default=None,
        description="For a reassignment, the examiner given the filing; for a release, the "
        "examiner who held it",
    )


class PartyOut(BaseModel):
    name: str = Field(description="Registered name of the enterprise")
    uscc: str = Field(description="Unified Social Credit Code (GB 32100-2015) of the enterprise")
    address: str = Field(description="Registered address of the enterprise")

    @classmethod
    def of(cls, party: Party) -> PartyOut:
        return cls(name=party.name, uscc=party.uscc, address=party.address)


class PledgeFilingOut(BaseModel):
    filing_id: str = Field(description="Identifier of the filing, used in its URL")
    filing_reference: str | None = Field(
        description="Reference the filing was submitted under on another channel, if any"
    )
    channel: str = Field(
        description="How the filing arrived, e.g. api for a bank's filing over this API"
    )
    status: str = Field(
        description="received, in_examination, awaiting_correction, registered, refused, cancelled"
    )
    registration_number: str | None = Field(
        description="Pledge registration number, once the pledge is registered"
    )
    received_at: datetime = Field(description="When the registry received the filing (UTC)")
    deadline_at: datetime = Field(
        description="When examination must be decided, counted in official working days"
    )
    deadline_provisional: bool = Field(
        description="Whether the deadline falls in a year whose official schedule is not entered"
    )
    corrected_at: datetime | None = Field(
        description="When the latest correction arrived; the deadline restarts from it"
    )
    decided_at: datetime | None = Field(description="When the filing was registered or refused")
    decided_by: str | None = Field(description="Examiner who registered or refused the filing")
    claimed_by: str | None = Field(description="Examiner who has the filing in examination")
    sla_breached_at: datetime | None = Field(
        description="When the examination deadline passed without a decision, if it did"
    )
    correlation_id: str | None = Field(
        description="The case the filing belongs to; every event about the filing carries it"
    )
    pledgor: PartyOut = Field(description="The right holder pledging the rights")
    pledgee: PartyOut = Field(description="The creditor taking the pledge")
    debt_type: str = Field(description="Kind of principal debt secured, e.g. loan")
    secured_amount: MoneyOut = Field(
        description="Amount of the secured principal debt, in yuan to the fen"
    )
    performance_deadline: date = Field(
        description="Date by which the debtor must perform the secured debt"
    )
    scope_of_guarantee: str = Field(description="What the pledge secures")
    patents: list[str] = Field(description="Patent application numbers pledged, in register form")
    trademarks: list[str] = Field(description="Trademark registration numbers pledged")
    co_owner_consents: list[str] = Field(
        description="USCCs of the co-owners who consent to the pledge"
    )
    acknowledgements: list[str] = Field(
        description="Warning codes the parties confirmed, in their filing or before an examiner"
    )
    same_day_invention_utility: list[str] = Field(
        description="Pledged patents the parties declared to be one of a same-day pair"
    )
    findings: list[FindingOut] = Field(
        description="What the registry's checks found on the pledged rights and parties"
    )
    decisions: list[DecisionOut] = Field(
        description="The examiners' decisions on the filing, oldest first"
    )
    correctable: list[str] = Field(
        description="While awaiting a correction, the terms the examiner asked to correct"
    )

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
            correlation_id=filing.correlation_id,
            **contract_out(filing.data),
            findings=findings_out(filing.findings),
            decisions=[decision_out(d) for d in filing.decisions],
            correctable=list(
                filing.requested_fields if filing.status is FilingStatus.AWAITING_CORRECTION else ()
            ),
        )


def contract_out(data: PledgeFilingData) -> dict[str, Any]:
    """The terms of a filing, as the filing views show them."""
    return {
        "pledgor": PartyOut.of(data.pledgor),
        "pledgee": PartyOut.of(data.pledgee),
        "debt_type": data.debt_type,
        "secured_amount": data.secured_amount,
        "performance_deadline": data.performance_deadline,
        "scope_of_guarantee": data.scope_of_guarantee,
        "patents": list(data.patents),
        "trademarks": list(data.trademarks),
        "co_owner_consents": list(data.co_owner_consents),
        "acknowledgements": sorted(data.acknowledged),
        "same_day_invention_utility": list(data.same_day_utility_invention),
    }


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
        fields=list(decision.fields),
        acknowledged=list(decision.acknowledged),
        assignee=decision.assignee,
    )


class HolderIn(RequestModel):
    name: Line = Field(max_length=200, description="Registered name of the holder")
    uscc: Uscc


class PatentIn(RequestModel):
    """A patent entry of the register."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "CN201710601862.3",
                    "title": "Wide-angle lens assembly",
                    "holders": [
                        {"name": "Shanghai Lens Optics Co., Ltd.", "uscc": "91310115MA1K3YJ675"}
                    ],
                    "filing_date": "2017-07-21",
                    "grant_date": "2020-03-10",
                    "legal_status": "valid",
                    "fees_paid_through": "2027-07-20",
                    "main_ipc": "G02B 13/06",
                }
            ]
        }
    )

    number: PatentNumber
    title: Line = Field(
        max_length=500, description="Title of the invention, utility model or design"
    )
    holders: list[HolderIn] = Field(
        min_length=1, max_length=20, description="Patentee of record first, each holder once"
    )
    filing_date: Day = Field(description="Date the patent application was filed")
    grant_date: Day | None = Field(
        default=None, description="Date the patent was granted; empty while pending"
    )
    legal_status: Literal["valid", "terminated", "expired", "invalid", "pending"] = Field(
        description="Legal status on the register; only a valid patent can be pledged"
    )
    fees_paid_through: Day = Field(description="Date up to which annual fees are paid")
    frozen: bool = Field(
        default=False, description="Whether a court has frozen the patent (it cannot be pledged)"
    )
    invalidation_pending: bool = Field(
        default=False, description="Whether an invalidation request against the patent is pending"
    )
    main_ipc: str = Field(
        default="",
        max_length=32,
        pattern=IPC_PATTERN,
        description="Main International Patent Classification symbol, e.g. G02B 13/00",
    )
    same_day_twin: PatentNumber | None = Field(
        default=None,
        description="For an invention, the utility-model application filed the same day for "
        "the same invention (or, for a utility model, the invention application); the registry "
        "warns of the pair when both entries show one applicant and one filing date",
    )

    @field_validator("same_day_twin")
    @classmethod
    def _twin_of_the_other_kind(cls, twin: str | None, info: ValidationInfo) -> str | None:
        number = info.data.get("number")
        if twin is None or number is None:
            return twin
        kinds = {parse_patent_number(n).kind.value for n in (number, twin)}
        if twin == number or kinds != {"invention", "utility_model"}:
            raise InvalidIdentifier(
                "patent.twin_not_a_pair",
                "a same-day twin pairs an invention with a utility-model application",
            )
        return twin

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
            same_day_twin=self.same_day_twin,
        )


class TrademarkIn(RequestModel):
    """A trademark entry of the register."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "12345678",
                    "nice_class": 9,
                    "goods": ["0901", "0911"],
                    "mark": "LENSOPT",
                    "owner": {
                        "name": "Shanghai Lens Optics Co., Ltd.",
                        "uscc": "91310115MA1K3YJ675",
                    },
                    "valid_until": "2033-05-13",
                }
            ]
        }
    )

    number: TrademarkNumber
    nice_class: int = Field(
        ge=1, le=45, description="Nice classification class of the goods or services, 1 to 45"
    )
    goods: list[GoodsGroup] = Field(
        min_length=1, max_length=100, description="Similar-goods group codes, each once"
    )
    mark: Line = Field(
        max_length=200,
        description="The mark as registered (words or a description of the device)",
    )
    owner: HolderIn = Field(description="Registrant of the trademark")
    valid_until: Day = Field(description="Last day of the registration's validity")
    status: Literal["registered", "revoked", "cancelled", "expired"] = Field(
        default="registered",
        description="Status on the register; only a registered trademark can be pledged",
    )
    frozen: bool = Field(
        default=False, description="Whether a court has frozen the trademark (it cannot be pledged)"
    )

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
