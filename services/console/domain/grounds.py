"""The registry's statutory refusal grounds and correctable terms, as examiners choose them.

The codes are the registry's; a test holds these lists to the registry's own.
"""

from __future__ import annotations

OTHER = "other"

REFUSAL_GROUNDS: dict[str, str] = {
    "pledgor.not_patentee": "The pledgor is not the patentee on the register",
    "pledgor.not_owner": "The pledgor is not the trademark's owner on the register",
    "right.unknown": "The right is not on the register",
    "right.terminated": "The right has terminated",
    "right.expired": "The right has expired",
    "right.invalid": "The right was declared invalid",
    "patent.not_granted": "The application is not yet granted",
    "patent.fees_unpaid": "The annual fees are not paid",
    "right.frozen": "Ownership dispute or court preservation order (right frozen)",
    "deadline.beyond_term": "The debt's performance deadline runs past the right's term",
    "contract.incomplete": "The pledge contract lacks required contents",
    "patent.co_owner_consent_missing": "A co-owner has not consented",
    "right.already_pledged": "The right is already pledged",
    "patent.same_day_invention_utility": "Same-day invention and utility model not confirmed",
    "patent.invalidation_pending": "Invalidation proceedings pending, not confirmed",
    "trademark.revoked": "The mark was revoked",
    "trademark.cancelled": "The mark was cancelled",
    "trademark.expired": "The mark expired without renewal",
    "trademark.similar_marks_omitted": "Identical or similar marks on similar goods not pledged",
    OTHER: "Other ground (explain it in the message)",
}

CORRECTABLE_TERMS: dict[str, str] = {
    "debt_type": "Type of the secured debt",
    "secured_amount": "Secured amount",
    "performance_deadline": "Performance deadline",
    "scope_of_guarantee": "Scope of the guarantee",
    "pledgor.address": "Pledgor's address",
    "pledgee.address": "Pledgee's address",
    "co_owner_consents": "Co-owners' consents",
    "acknowledgements": "Acknowledgements of warnings",
}
