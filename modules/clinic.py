"""The clinic as the outside world sees it: the name printed on certificates and the public address their QR codes
and links point to.

The first-run page, and later a manager, record both in the database (`store.clinic`, an attributed history);
until they do, the settings TRAINING_CLINIC_NAME and TRAINING_BASE_URL hold. A loopback public address
(http://127.0.0.1:8501, the default) makes certificates no phone can check, so the pages and the command line say so.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from modules import settings
from modules.core.errors import SettingsError
from modules.core.records import Actor
from modules.store import Store

NAME_MAX = 100
ADDRESS_MAX = 200


def clinic_name(store: Store) -> str:
    """The clinic's name: the one recorded in the database, else the TRAINING_CLINIC_NAME setting."""
    return store.clinic.current().get("clinic_name") or settings.get("TRAINING_CLINIC_NAME")


def public_address(store: Store) -> str:
    """The address people reach the app at: the one recorded in the database, else the TRAINING_BASE_URL setting."""
    return store.clinic.current().get("public_address") or settings.get("TRAINING_BASE_URL")


def is_loopback(address: str) -> bool:
    """True when `address` names this computer only (127.0.0.0/8, ::1, localhost, 0.0.0.0) or names no host."""
    try:
        host = urlsplit(address.strip()).hostname
    except ValueError:  # an unbalanced "[" in the host
        return True
    if not host:
        return True
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name such as training.clinic.example
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def loopback_warning(address: str) -> str | None:
    """One sentence for a manager when certificates would point to a loopback address; None when they do not."""
    if not is_loopback(address):
        return None
    return (f"Certificates point to {address}, which only this computer can open: set the clinic's public address "
            "(the https address people reach the app at) on the Certification register page, so the QR codes work "
            "on any phone.")


def checked_name(text: str) -> str:
    """The clinic's name as typed, on one line; refused when blank or too long."""
    name = " ".join(str(text).split())
    if not name:
        raise SettingsError("Enter the clinic's name.")
    if len(name) > NAME_MAX:
        raise SettingsError(f"The clinic's name must be at most {NAME_MAX} characters long.")
    return name


def checked_address(text: str) -> str:
    """A public address as typed, without a trailing slash; refused unless it is an http or https URL with a host."""
    address = str(text).strip().rstrip("/")
    problem = "The public address must be a web address such as https://training.clinic.example."
    if not address or len(address) > ADDRESS_MAX or any(c.isspace() for c in address):
        raise SettingsError(problem)
    try:
        parts = urlsplit(address)
        host, _ = parts.hostname, parts.port  # .port refuses a port that is not a number
    except ValueError:
        raise SettingsError(problem) from None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password or parts.query \
            or parts.fragment:
        raise SettingsError(problem)
    return address


def update(store: Store, actor: Actor | None, name: str, address: str) -> list[str]:
    """Record the clinic's name and public address (actor None: the first-run page), each only when it changed;
    both are checked before either is written. Returns the keys that changed."""
    wanted = {"clinic_name": checked_name(name), "public_address": checked_address(address)}
    recorded = store.clinic.current()
    changed = [key for key, value in wanted.items() if recorded.get(key) != value]
    for key in changed:
        store.clinic.set(key, wanted[key], actor)
    return changed
