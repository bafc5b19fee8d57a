"""What the registry's use cases cannot find."""

from __future__ import annotations

from shared.kernel.errors import NotFound

__all__ = ["FilingNotFound", "NotFound", "PledgeNotFound", "RightNotFound"]


class FilingNotFound(NotFound):
    """No such filing."""

    code = "filing.not_found"
    title = "Filing not found"


class PledgeNotFound(NotFound):
    """No pledge with that registration number."""

    code = "pledge.not_found"
    title = "Pledge not found"


class RightNotFound(NotFound):
    """The right is not on the register."""

    code = "right.not_found"
    title = "Right not on the register"
