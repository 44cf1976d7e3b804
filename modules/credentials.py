"""Open Badges 3.0 credentials for certificates (issue #17): each certificate as an `OpenBadgeCredential` (a W3C
Verifiable Credential) that the clinic signs as a VC-JWT, its public key published for anyone to check it, and
revocation through a W3C Bitstring Status List.

- The signing key is an Ed25519 key made on first use and kept outside the database, in the PEM file named by
  TRAINING_CREDENTIAL_KEY_FILE (owner-only, never printed); every instance of a chain of clinics shares the file, as
  they share the audit key.
- The issuer is `did:web:<host of the public address>`. A DID names the clinic rather than one URL, wallets and
  verifiers resolve it to the clinic's keys through the did:web document this app serves at /.well-known/did.json,
  and each JWS `kid` is a DID URL ending in the key's JWK thumbprint, so a rotated key never passes for the old one.
  The same key is also served as a plain JWKS at /credentials/jwks.json for JOSE tools (and `verify-credential
  --key`).
- The signature is JWS compact with `alg` EdDSA (what Open Badges 3.0 wallets expect of an Ed25519 key), `typ`
  vc+jwt and the credential itself as the payload (VC-JOSE-COSE).
- Revocation: each credential's `credentialStatus` points at bit `certificate id` of the list served at
  /credentials/status/revocation (a signed BitstringStatusListCredential, rebuilt from the store on each request).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from modules import settings
from modules.cli import Command, guarded
from modules.core.clock import require_utc
from modules.core.errors import SettingsError, TrainingError
from modules.core.records import Certificate

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
SCHEMA_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
JWKS_PATH = "/credentials/jwks.json"
DID_PATH = "/.well-known/did.json"
STATUS_LIST_PATH = "/credentials/status/revocation"
STATUS_LIST_BITS = 131_072  # 16 KB: the Bitstring Status List's minimum, so one list hides who was revoked
ALGORITHM = "EdDSA"
MEDIA_TYPE = "application/vc+jwt"


class CredentialError(TrainingError):
    """A credential, key or status list that cannot be read, or that does not verify; the message says why."""


class _EdDSA(EdDSAAlgorithm):
    # RFC 9864 prefers the name "Ed25519", and joserfc warns on "EdDSA"; OB 3.0 wallets still expect "EdDSA".
    security_warning = ""


class _Registry(JWSRegistry):
    algorithms = {**JWSRegistry.algorithms, ALGORITHM: _EdDSA()}


# Ed25519 only, under either name; never "none" or a shared-secret algorithm picked by the token's own header.
_REGISTRY = _Registry(algorithms=[ALGORITHM, "Ed25519"])


# ------------------------------------------------------------------------------------------------ the key


def signing_key(create: bool = True) -> OKPKey:
    """The clinic's Ed25519 key from TRAINING_CREDENTIAL_KEY_FILE, made (owner-only) the first time when `create`."""
    path = settings.current().credential_key_file
    try:
        if not path.exists():
            if not create:
                raise CredentialError(f"This machine has no credential key file ({path}); give the clinic's public "
                                      "key with --key.")
            _write_new_key(path)
        return OKPKey.import_key(path.read_bytes())
    except (OSError, ValueError, JoseError) as error:
        raise SettingsError(f"The credential key file {path} cannot be read or made ({type(error).__name__}).") \
            from None


def _write_new_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = OKPKey.generate_key("Ed25519").as_pem(private=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(pem)
    except FileExistsError:  # another instance made it a moment ago: use theirs
        pass


def issuer_id(address: str) -> str:
    """`did:web:` and the public address's host (a port as %3A, a path's folders joined by ':')."""
    parts = urlsplit(address.strip().rstrip("/"))
    host = (parts.hostname or "localhost").lower() + (f"%3A{parts.port}" if parts.port else "")
    folders = [quote(folder, safe="") for folder in parts.path.split("/") if folder]
    return ":".join(["did:web", host, *folders])


def key_id(address: str, key: OKPKey) -> str:
    return f"{issuer_id(address)}#{key.thumbprint()}"


def public_jwk(address: str, key: OKPKey) -> dict[str, Any]:
    return {**key.as_dict(private=False), "kid": key_id(address, key), "alg": ALGORITHM, "use": "sig"}


def jwks(address: str, key: OKPKey) -> dict[str, Any]:
    """The JSON Web Key Set served at /credentials/jwks.json."""
    return {"keys": [public_jwk(address, key)]}


def did_document(address: str, key: OKPKey) -> dict[str, Any]:
    """The did:web document served at /.well-known/did.json: the key may make assertions (sign credentials)."""
    did, kid = issuer_id(address), key_id(address, key)
    method = {"id": kid, "type": "JsonWebKey", "controller": did, "publicKeyJwk": key.as_dict(private=False)}
    return {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"], "id": did,
            "verificationMethod": [method], "assertionMethod": [kid], "authentication": [kid]}


def public_keys(path: Path) -> list[OKPKey]:
    """The Ed25519 public keys in a JWKS, a single JWK, a did:web document or a PEM file."""
    try:
        data = path.read_bytes()
        if not data.lstrip().startswith(b"{"):
            return [OKPKey.import_key(data)]
        document = json.loads(data)
        found = document.get("keys") or [m.get("publicKeyJwk") for m in document.get("verificationMethod", [])] \
            or [document]
        keys = [OKPKey.import_key(jwk) for jwk in found if isinstance(jwk, dict) and jwk.get("kty") == "OKP"]
    except (OSError, ValueError, AttributeError, JoseError) as error:
        raise CredentialError(f"The key file {path} cannot be read as a JWKS, JWK, DID document or PEM key "
                              f"({type(error).__name__}).") from None
    if not keys:
        raise CredentialError(f"The key file {path} holds no Ed25519 key.")
    return keys


# ------------------------------------------------------------------------------------------- issuing


def _time(moment: datetime) -> str:
    return require_utc(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80] or "certificate"


def status_list_url(address: str) -> str:
    return address.rstrip("/") + STATUS_LIST_PATH


def credential(certificate: Certificate, clinic_name: str, address: str) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of `certificate`: the clinic, the achievement, the holder's name (nothing
    else about them), the certificate's dates and where its revocation bit is."""
    base, issuer = address.rstrip("/"), issuer_id(address)
    status_list, index = status_list_url(address), str(int(certificate.id))
    return {
        "@context": CONTEXT,
        "id": f"{base}/verify/{quote(certificate.code, safe='')}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.title,
        "description": f"{certificate.title}, awarded by {clinic_name}.",
        "issuer": {"id": issuer, "type": ["Profile"], "name": clinic_name, "url": base},
        "validFrom": _time(certificate.issued_at),
        "validUntil": _time(certificate.expires_at),
        "awardedDate": _time(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": certificate.holder_name,
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": certificate.holder_name}],
            "achievement": {
                "id": f"{base}/credentials/achievements/{_slug(certificate.title)}",
                "type": ["Achievement"],
                "achievementType": "Certification",
                "name": certificate.title,
                "description": f"Certified by {clinic_name} to perform microdermabrasion treatments.",
                "criteria": {"narrative": "Study every training module, pass each module's graded quiz, complete the "
                                          "supervised practical treatments the clinic's policy requires, then pass "
                                          "the timed certification exam. The certificate is valid for a fixed period "
                                          "and renewed by passing the exam again."},
            },
        },
        "credentialStatus": {"id": f"{status_list}#{index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": index,
                             "statusListCredential": status_list},
        "credentialSchema": [{"id": SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def sign(document: dict[str, Any], address: str, key: OKPKey) -> str:
    """`document` as a VC-JWT (JWS compact) signed by the clinic's key."""
    header = {"alg": ALGORITHM, "typ": "vc+jwt", "kid": key_id(address, key)}
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return jws.serialize_compact(header, payload, key, registry=_REGISTRY)


def issue(certificate: Certificate, clinic_name: str, address: str) -> str:
    """The signed credential of `certificate`, as the text of a .jwt file."""
    return sign(credential(certificate, clinic_name, address), address, signing_key())


# -------------------------------------------------------------------------------------- revocation


def encode_status_list(revoked: Iterable[int]) -> str:
    """The Bitstring Status List `encodedList`: bit i (counted from the first byte's highest bit) set for each revoked
    index, GZIP-compressed, then multibase base64url without padding ('u' prefix)."""
    indexes = sorted(set(revoked))
    bits = max(STATUS_LIST_BITS, -(-(indexes[-1] + 1) // STATUS_LIST_BITS) * STATUS_LIST_BITS if indexes else 0)
    bitstring = bytearray(bits // 8)
    for index in indexes:
        bitstring[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bitstring), mtime=0)).decode("ascii").rstrip("=")


def status_bit(encoded_list: str, index: int) -> bool:
    """Whether bit `index` of an `encodedList` is set."""
    text = encoded_list[1:] if encoded_list.startswith("u") else encoded_list
    try:
        bitstring = gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, OSError, EOFError):
        raise CredentialError("The status list's encodedList cannot be decoded.") from None
    if not 0 <= index < len(bitstring) * 8:
        raise CredentialError("The credential's status index lies outside the status list.")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(address: str, revoked: Iterable[int], now: datetime) -> dict[str, Any]:
    url = status_list_url(address)
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": issuer_id(address),
            "validFrom": _time(now),
            "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                                  "encodedList": encode_status_list(revoked)}}


# ------------------------------------------------------------------------------------------ verifying


@dataclass(frozen=True)
class Verdict:
    """One plain verdict: valid, expired, revoked or not valid, and the sentence that goes with it."""

    status: str
    sentence: str

    @property
    def line(self) -> str:
        return f"{self.status}: {self.sentence}"


def read_signed(token: str, keys: Sequence[OKPKey]) -> dict[str, Any]:
    """The JSON inside a VC-JWT that one of `keys` signed; CredentialError when none did or it is not a VC-JWT."""
    token = token.strip()
    for key in keys:
        try:
            signed = jws.deserialize_compact(token, key, registry=_REGISTRY)
        except BadSignatureError:
            continue
        except (JoseError, ValueError):
            raise CredentialError("it cannot be read as a signed credential (a VC-JWT): it was altered or is not "
                                  "one.") from None
        if signed.headers().get("typ") not in ("vc+jwt", "vc+ld+json+jwt"):
            raise CredentialError("it is signed, but is not a verifiable credential (typ is not vc+jwt).")
        try:
            document = json.loads(signed.payload)
        except ValueError:
            raise CredentialError("its payload is not JSON.") from None
        if not isinstance(document, dict):
            raise CredentialError("its payload is not a credential.")
        return document
    raise CredentialError("the signature does not match the clinic's key: it was altered or signed by someone else.")


def _moment(value: object, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise CredentialError(f"its {field} is not a date and time.") from None
    if moment.tzinfo is None:
        raise CredentialError(f"its {field} has no time zone.")
    return moment.astimezone(UTC)


def verdict(document: dict[str, Any], now: datetime, revoked: bool) -> Verdict:
    """What a verified credential amounts to at `now`: revoked beats expired, as for certificates."""
    subject = document.get("credentialSubject") or {}
    title = str((subject.get("achievement") or {}).get("name") or document.get("name") or "the certificate")
    holder, issuer = str(subject.get("name") or "its holder"), document.get("issuer") or {}
    clinic_name = str(issuer.get("name") or issuer.get("id") or "the clinic") if isinstance(issuer, dict) else issuer
    until = _moment(document.get("validUntil"), "validUntil")
    if revoked:
        return Verdict("revoked", f"{clinic_name} revoked {title} of {holder}.")
    if now >= until:
        return Verdict("expired", f"{title} of {holder} ended on {until:%Y-%m-%d}.")
    if now < _moment(document.get("validFrom"), "validFrom"):
        return Verdict("not valid", f"{title} of {holder} is not valid yet.")
    return Verdict("valid", f"{holder} holds {title} from {clinic_name}, valid until {until:%Y-%m-%d}.")


def status_entry(document: dict[str, Any]) -> tuple[str, int]:
    """(status list URL, index) of a credential's revocation entry."""
    entry = document.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry" \
            or entry.get("statusPurpose") != "revocation":
        raise CredentialError("it names no revocation status list, so its status cannot be checked.")
    try:
        return str(entry["statusListCredential"]), int(entry["statusListIndex"])
    except (KeyError, ValueError, TypeError):
        raise CredentialError("its revocation entry has no list or index.") from None


def revoked_in_list(status_list_jwt: str, keys: Sequence[OKPKey], url: str, index: int) -> bool:
    """Whether the signed status list says `index` is revoked; it must be the list the credential names."""
    try:
        listing = read_signed(status_list_jwt, keys)
    except CredentialError as error:
        raise CredentialError(f"the status list file cannot be trusted: {error}") from None
    subject = listing.get("credentialSubject") or {}
    if listing.get("id") != url or subject.get("statusPurpose") != "revocation":
        raise CredentialError(f"the status list file is not the revocation list {url}.")
    return status_bit(str(subject.get("encodedList", "")), index)


def check(token: str, keys: Sequence[OKPKey], now: datetime, is_revoked: Callable[[str, int], bool]) -> Verdict:
    """Signature, then revocation (`is_revoked(list url, index)`), then the dates."""
    try:
        document = read_signed(token, keys)
        url, index = status_entry(document)
        return verdict(document, now, is_revoked(url, index))
    except CredentialError as error:
        return Verdict("not valid", str(error))


# -------------------------------------------------------------------------------------- the command


def _verify_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the credential: the .jwt file downloaded from My progress")
    parser.add_argument("--key", type=Path, default=None,
                        help="the clinic's public key: its JWKS (/credentials/jwks.json), DID document "
                             "(/.well-known/did.json) or a PEM file (default: this machine's "
                             "TRAINING_CREDENTIAL_KEY_FILE)")
    parser.add_argument("--status-list", type=Path, default=None,
                        help="a saved copy of the clinic's status list (/credentials/status/revocation), to check "
                             "revocation offline (default: the clinic's own database)")


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CredentialError(f"The {what} {path} cannot be read ({type(error).__name__}).") from None


def _revoked_in_store(url: str, index: int) -> bool:
    from modules.store import Store

    try:
        store = Store.open(settings.get("TRAINING_DB_URL"), audit_key=settings.audit_key(), must_exist=True)
    except TrainingError:
        raise CredentialError("its revocation status cannot be checked here (no clinic database); give a saved "
                              "copy of the status list with --status-list.") from None
    try:
        return index in store.certificates.revoked_ids()
    finally:
        store.close()


def verify_credential(args: argparse.Namespace) -> int:
    from modules.core.clock import system_clock

    token = _read_text(args.file, "credential file")
    keys = public_keys(args.key) if args.key else [signing_key(create=False)]
    if args.status_list:
        listing = _read_text(args.status_list, "status list file")
        result = check(token, keys, system_clock(), lambda url, index: revoked_in_list(listing, keys, url, index))
    else:
        result = check(token, keys, system_clock(), _revoked_in_store)
    print(result.line)
    return 0 if result.status == "valid" else 1


COMMANDS: list[Command] = [
    Command("verify-credential", "Check a certificate's Open Badges 3.0 credential (.jwt): its signature, expiry and "
                                 "revocation; prints valid, expired, revoked or not valid.", _verify_args,
            guarded(verify_credential)),
]
