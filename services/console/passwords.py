"""`python -m services.console.passwords`: a scrypt hash of a password, for the staff file."""

from __future__ import annotations

import getpass
import sys

from services.console.domain.staff import hash_password


def main() -> int:
    """Ask for a password twice and print its hash."""
    first = getpass.getpass("Password: ")
    if len(first) < 12:
        print("use at least 12 characters", file=sys.stderr)
        return 1
    if getpass.getpass("Again: ") != first:
        print("the two passwords differ", file=sys.stderr)
        return 1
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    sys.exit(main())
