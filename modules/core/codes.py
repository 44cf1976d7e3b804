"""Certificate codes: 80 random bits written in a reading-safe alphabet, and the forgiving parse of a typed one."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Protocol

from modules.core.types import CertificateCode

# Crockford's base32 minus I, L, O and U: no letter can be misread as a digit (or spell a word),
# so a code read aloud over the phone or typed from paper survives.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 16 symbols x 5 bits = 80 random bits
CODE_GROUP = 4

# What people type instead of the real symbol (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


class _Chooser(Protocol):
    def choice(self, seq: Sequence[str]) -> str: ...


def new_certificate_code(rng: _Chooser = secrets) -> CertificateCode:
    """A fresh unguessable code such as `7KQ2-M9XD-4TPR-8BNC` (80 random bits from `rng`)."""
    symbols = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return CertificateCode(_grouped(symbols))


def normalise_code(text: object) -> CertificateCode | None:
    """The canonical form of a code someone typed, or None if it cannot be one.

    Accepts lowercase, spaces, missing or extra dashes, and the look-alikes O->0, I/L->1.
    """
    if not isinstance(text, str) or len(text) > 4 * CODE_LENGTH:
        return None
    symbols = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if len(symbols) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in symbols):
        return None
    return CertificateCode(_grouped(symbols))


def _grouped(symbols: str) -> str:
    return "-".join(symbols[i : i + CODE_GROUP] for i in range(0, len(symbols), CODE_GROUP))
