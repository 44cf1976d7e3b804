"""The public credential routes: the clinic's key as a JWKS and a did:web document, and the signed revocation list,
all served without signing in; a revoked certificate's credential reads as revoked through them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from joserfc.jwk import OKPKey

from modules import auth, clinic, credentials, settings, web
from modules.core.clock import FixedClock
from modules.core.types import Role
from modules.store import Store
from tests.unit.test_web import get

ADDRESS = "https://training.clinic.example"
PASSWORD = "correct horse battery"


@pytest.fixture
def clinic_db(tmp_path, monkeypatch):
    """The routes' database and key file, the clinic's recorded public address; the routes' store closed after."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    monkeypatch.setenv("TRAINING_DB_URL", url)
    monkeypatch.setenv("TRAINING_CREDENTIAL_KEY_FILE", str(tmp_path / "credential-key.pem"))
    settings.reload()
    store = Store.open(url, clock=FixedClock(datetime.now(UTC) - timedelta(days=10)), audit_key=settings.audit_key())
    clinic.update(store, None, "Riverside Clinic", ADDRESS)
    yield store
    store.close()
    opened = web._stores.pop(url, None)
    if opened is not None:
        opened.close()
    settings.reload()


def certify(store: Store, username: str, name: str):
    user_id = auth.create_user(store, username, name, Role.TECHNICIAN, PASSWORD)
    return store.certificates.issue(user_id, None, "Microdermabrasion technician", 0.9,
                                    store.clock() + timedelta(days=365))


def test_the_jwks_and_the_did_document_publish_the_key_that_signs_credentials(clinic_db):
    status, headers, body = get("/credentials/jwks.json")  # no session cookie: anyone may fetch it
    assert status == 200 and headers["content-type"].startswith("application/jwk-set+json")
    assert headers["access-control-allow-origin"] == "*"
    (jwk,) = json.loads(body)["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}  # the public half only: no "d"
    token = credentials.issue(certify(clinic_db, "tess", "Tess Technician"), "Riverside Clinic", ADDRESS)
    assert credentials.read_signed(token, [OKPKey.import_key(jwk)])["credentialSubject"]["name"] == "Tess Technician"
    head = token.split(".")[0]
    assert jwk["kid"] == json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]

    for path in ("/.well-known/did.json", "/did.json"):
        status, headers, body = get(path)
        document = json.loads(body)
        assert status == 200 and document["id"] == "did:web:training.clinic.example"
        (method,) = document["verificationMethod"]
        assert method["id"] == jwk["kid"] and document["assertionMethod"] == [jwk["kid"]]
        assert method["publicKeyJwk"] == {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}


def test_the_status_list_is_a_signed_bitstring_list_that_marks_revoked_certificates(clinic_db):
    kept = certify(clinic_db, "kim", "Kim Kept")
    withdrawn = certify(clinic_db, "rex", "Rex Revoked")
    manager = auth.create_user(clinic_db, "mia", "Mia Manager", Role.MANAGER, PASSWORD)
    clinic_db.certificates.revoke(withdrawn.id, clinic_db.accounts.get(manager).actor, "issued in error")

    status, headers, body = get("/credentials/status/revocation")
    assert status == 200 and headers["content-type"].startswith("application/vc+jwt")
    assert headers["cache-control"] == "no-store" and headers["access-control-allow-origin"] == "*"
    key = credentials.signing_key()
    listing = credentials.read_signed(body, [key])
    assert listing["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listing["issuer"] == "did:web:training.clinic.example"
    encoded = listing["credentialSubject"]["encodedList"]
    assert credentials.status_bit(encoded, int(withdrawn.id)) and not credentials.status_bit(encoded, int(kept.id))

    # A credential's status entry names exactly this list, so a verifier following it finds the revocation.
    now = datetime.now(UTC)
    for cert, expected in ((kept, "valid"), (withdrawn, "revoked")):
        token = credentials.issue(cert, "Riverside Clinic", ADDRESS)
        verdict = credentials.check(token, [key], now,
                                    lambda url, index: credentials.revoked_in_list(body, [key], url, index))
        assert verdict.status == expected
    # The public verify route keeps saying so too.
    assert json.loads(get(f"/verify/{withdrawn.code}.json")[2])["status"] == "revoked"


def test_an_unreachable_store_is_a_plain_503(tmp_path, monkeypatch):
    (tmp_path / "a-folder.db").mkdir()
    monkeypatch.setenv("TRAINING_DB_URL", f"sqlite:///{tmp_path / 'a-folder.db'}")
    monkeypatch.setenv("TRAINING_CREDENTIAL_KEY_FILE", str(tmp_path / "credential-key.pem"))
    settings.reload()
    try:
        for path in ("/credentials/jwks.json", "/credentials/status/revocation"):
            status, _, body = get(path)
            assert status == 503 and set(json.loads(body)) == {"error"}
    finally:
        settings.reload()
