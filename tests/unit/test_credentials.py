"""Open Badges 3.0 credentials: what a certificate's credential holds (checked against 1EdTech's JSON schema), the
clinic's key kept in its file, the revocation bitstring, and `python -m modules verify-credential`."""

from __future__ import annotations

import base64
import gzip
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from modules import auth, credentials, settings
from modules.__main__ import main
from modules.core.clock import FixedClock
from modules.core.types import Role
from modules.store import Store

PASSWORD = "correct horse battery"
ADDRESS = "https://training.clinic.example"
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "openbadges" / "ob_v3p0_achievementcredential_schema.json"


@pytest.fixture
def key_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "keys" / "credential-key.pem"
    monkeypatch.setenv("TRAINING_CREDENTIAL_KEY_FILE", str(path))
    settings.reload()
    yield path
    settings.reload()


@pytest.fixture
def clinic_db(tmp_path, monkeypatch, key_file):
    """The clinic's database (TRAINING_DB_URL), its clock 400 days back so that short certificates have ended."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    monkeypatch.setenv("TRAINING_DB_URL", url)
    settings.reload()
    store = Store.open(url, clock=FixedClock(datetime.now(UTC) - timedelta(days=400)), audit_key=settings.audit_key())
    yield store
    store.close()


def certify(store: Store, username: str, name: str, days_valid: int):
    user_id = auth.create_user(store, username, name, Role.TECHNICIAN, PASSWORD)
    return store.certificates.issue(user_id, None, "Microdermabrasion technician", 0.9,
                                    store.clock() + timedelta(days=days_valid))


def revoke(store: Store, certificate) -> None:
    manager = auth.create_user(store, f"mia{certificate.id}", "Mia Manager", Role.MANAGER, PASSWORD)
    store.certificates.revoke(certificate.id, store.accounts.get(manager).actor, "issued in error")


def payload(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ the credential


def test_the_credential_validates_against_the_open_badges_3_schema(clinic_db):
    cert = certify(clinic_db, "tess", "Tess Technician", 800)
    token = credentials.issue(cert, "Riverside Clinic", ADDRESS)
    document = payload(token)
    validator = jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text(encoding="utf-8")),
                                                format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    assert [error.message for error in validator.iter_errors(document)] == []
    # The schema is a real check: the same credential without its VC 2.0 context or its achievement fails it.
    assert not validator.is_valid({**document, "@context": document["@context"][1:]})
    broken = json.loads(json.dumps(document))
    del broken["credentialSubject"]["achievement"]["criteria"]
    assert not validator.is_valid(broken)


def test_the_credential_names_the_clinic_the_achievement_the_holder_and_the_certificate_dates(clinic_db):
    # The holder has an e-mail address, which must not travel in the credential.
    user_id = auth.create_user(clinic_db, "zoe", "Zoë O'Brien", Role.TECHNICIAN, PASSWORD, email="zoe@clinic.example")
    cert = clinic_db.certificates.issue(user_id, None, "Microdermabrasion technician", 0.93,
                                        clinic_db.clock() + timedelta(days=365))
    token = credentials.issue(cert, "Riverside Clinic", ADDRESS)
    document = payload(token)
    assert header(token)["alg"] == "EdDSA" and header(token)["typ"] == "vc+jwt"
    assert header(token)["kid"].startswith("did:web:training.clinic.example#")
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"] == {"id": "did:web:training.clinic.example", "type": ["Profile"],
                                  "name": "Riverside Clinic", "url": ADDRESS}
    assert document["id"] == f"{ADDRESS}/verify/{cert.code}"
    subject = document["credentialSubject"]
    assert subject["name"] == "Zoë O'Brien" and subject["achievement"]["name"] == "Microdermabrasion technician"
    assert subject["achievement"]["criteria"]["narrative"]
    assert document["validFrom"] == cert.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert document["validUntil"] == cert.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert document["credentialStatus"] == {
        "id": f"{ADDRESS}/credentials/status/revocation#{cert.id}", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": str(cert.id),
        "statusListCredential": f"{ADDRESS}/credentials/status/revocation"}
    assert "zoe@clinic.example" not in json.dumps(document) and "0.93" not in json.dumps(document)


def test_the_issuer_is_did_web_of_the_public_address():
    assert credentials.issuer_id("https://training.clinic.example/") == "did:web:training.clinic.example"
    assert credentials.issuer_id("http://127.0.0.1:8501") == "did:web:127.0.0.1%3A8501"
    assert credentials.issuer_id("https://clinic.example/training") == "did:web:clinic.example:training"


# ------------------------------------------------------------------------------------------------ the key


def test_the_key_file_is_made_once_owner_only_and_then_reused(key_file):
    assert not key_file.exists()
    first = credentials.signing_key()
    assert key_file.exists() and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    pem = key_file.read_bytes()
    second = credentials.signing_key()
    assert key_file.read_bytes() == pem and second.thumbprint() == first.thumbprint()


def test_verifying_never_makes_a_key(key_file):
    with pytest.raises(credentials.CredentialError, match="no credential key file"):
        credentials.signing_key(create=False)
    assert not key_file.exists()


# ----------------------------------------------------------------------------------------- the status list


def test_the_status_list_is_a_gzipped_16kb_bitstring_with_a_bit_per_revoked_index():
    encoded = credentials.encode_status_list([3, 1000])
    assert encoded.startswith("u")  # multibase base64url
    text = encoded[1:]
    bitstring = gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    assert len(bitstring) == 16 * 1024
    assert bitstring[0] == 0b0001_0000 and bitstring[125] == 0b1000_0000  # bit 0 is the first byte's highest
    assert sum(bin(byte).count("1") for byte in bitstring) == 2
    assert [credentials.status_bit(encoded, i) for i in (2, 3, 4, 999, 1000)] == [False, True, False, False, True]
    assert len(credentials.encode_status_list([200_000])) > 0
    assert credentials.status_bit(credentials.encode_status_list([200_000]), 200_000)


# --------------------------------------------------------------------------------------- verify-credential


def test_a_credential_verifies_and_fails_after_a_single_byte_changes(clinic_db, tmp_path, capsys):
    cert = certify(clinic_db, "tess", "Tess Technician", 800)
    token = credentials.issue(cert, "Riverside Clinic", ADDRESS)
    good = write(tmp_path / "tess.jwt", token)
    assert main(["verify-credential", str(good)]) == 0
    assert capsys.readouterr().out.startswith("valid: Tess Technician holds Microdermabrasion technician")
    head, body, signature = token.split(".")
    for position in (len(head) + 1 + len(body) // 2, len(token) - 3):  # one byte of the payload, of the signature
        altered = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]
        assert main(["verify-credential", str(write(tmp_path / "altered.jwt", altered))]) == 1
        assert capsys.readouterr().out.startswith("not valid: the signature does not match the clinic's key")


def test_an_expired_credential_reports_expired(clinic_db, tmp_path, capsys):
    cert = certify(clinic_db, "eve", "Eve Expired", 30)  # issued 400 days ago
    path = write(tmp_path / "eve.jwt", credentials.issue(cert, "Riverside Clinic", ADDRESS))
    assert main(["verify-credential", str(path)]) == 1
    assert capsys.readouterr().out.startswith("expired: Microdermabrasion technician of Eve Expired ended on")


def test_a_revoked_certificate_reports_revoked_from_the_store_and_from_a_saved_status_list(clinic_db, tmp_path,
                                                                                           monkeypatch, capsys):
    kept = certify(clinic_db, "kim", "Kim Kept", 800)
    withdrawn = certify(clinic_db, "rex", "Rex Revoked", 800)
    kept_file = write(tmp_path / "kim.jwt", credentials.issue(kept, "Riverside Clinic", ADDRESS))
    withdrawn_file = write(tmp_path / "rex.jwt", credentials.issue(withdrawn, "Riverside Clinic", ADDRESS))
    assert main(["verify-credential", str(withdrawn_file)]) == 0  # issued while current
    capsys.readouterr()
    revoke(clinic_db, withdrawn)

    assert main(["verify-credential", str(withdrawn_file)]) == 1
    assert capsys.readouterr().out == "revoked: Riverside Clinic revoked Microdermabrasion technician of Rex Revoked.\n"

    # Offline: the clinic's published key and a saved copy of its status list, and no database at all.
    key = credentials.signing_key()
    jwks = write(tmp_path / "jwks.json", json.dumps(credentials.jwks(ADDRESS, key)))
    listing = credentials.status_list_credential(ADDRESS, clinic_db.certificates.revoked_ids(), datetime.now(UTC))
    saved = write(tmp_path / "revocation.jwt", credentials.sign(listing, ADDRESS, key))
    monkeypatch.setenv("TRAINING_DB_URL", f"sqlite:///{tmp_path / 'nowhere' / 'none.db'}")
    settings.reload()
    offline = ["--key", str(jwks), "--status-list", str(saved)]
    assert main(["verify-credential", str(withdrawn_file), *offline]) == 1
    assert capsys.readouterr().out.startswith("revoked: ")
    assert main(["verify-credential", str(kept_file), *offline]) == 0
    assert capsys.readouterr().out.startswith("valid: Kim Kept holds")
    assert main(["verify-credential", str(kept_file), "--key", str(jwks)]) == 1  # nothing to check revocation with
    assert "--status-list" in capsys.readouterr().out
    assert not (tmp_path / "nowhere").exists()


def test_a_status_list_that_is_not_signed_by_the_clinic_is_refused(clinic_db, tmp_path, capsys):
    cert = certify(clinic_db, "kim", "Kim Kept", 800)
    path = write(tmp_path / "kim.jwt", credentials.issue(cert, "Riverside Clinic", ADDRESS))
    key = credentials.signing_key()
    jwks = write(tmp_path / "jwks.json", json.dumps(credentials.jwks(ADDRESS, key)))
    from joserfc.jwk import OKPKey

    forged = credentials.sign(credentials.status_list_credential(ADDRESS, [], datetime.now(UTC)), ADDRESS,
                              OKPKey.generate_key("Ed25519"))
    assert main(["verify-credential", str(path), "--key", str(jwks),
                 "--status-list", str(write(tmp_path / "forged.jwt", forged))]) == 1
    assert capsys.readouterr().out.startswith("not valid: the status list file cannot be trusted")


def test_a_credential_signed_with_another_key_or_unreadable_is_not_valid(clinic_db, tmp_path, capsys):
    cert = certify(clinic_db, "tess", "Tess Technician", 800)
    path = write(tmp_path / "tess.jwt", credentials.issue(cert, "Riverside Clinic", ADDRESS))
    from joserfc.jwk import OKPKey

    stranger = write(tmp_path / "stranger.pem", OKPKey.generate_key("Ed25519").as_pem(private=False).decode())
    assert main(["verify-credential", str(path), "--key", str(stranger)]) == 1
    assert capsys.readouterr().out.startswith("not valid: the signature does not match")
    assert main(["verify-credential", str(write(tmp_path / "junk.jwt", "not a credential"))]) == 1
    assert capsys.readouterr().out.startswith("not valid: it cannot be read as a signed credential")
    assert main(["verify-credential", str(tmp_path / "missing.jwt")]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: The credential file") and "Traceback" not in captured.err
