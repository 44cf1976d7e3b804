"""My progress hands a technician with a current certificate its Open Badges 3.0 credential beside the PDF: a .jwt
file the clinic signed, naming them and their certificate, which verifies against the clinic's key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from modules import credentials, settings
from modules.core.clock import system_clock
from tests.app.conftest import open_app
from tests.app.test_accounts_audit_pages import download, downloads  # noqa: F401 - downloads is a fixture

LABEL = "Download my digital credential (Open Badges 3.0)"


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "credential-key.pem"
    monkeypatch.setenv("TRAINING_CREDENTIAL_KEY_FILE", str(path))
    settings.reload()
    yield path
    settings.reload()


def test_a_current_certificate_downloads_as_a_signed_credential(users, app_store, downloads, key_file):  # noqa: F811
    tess = users["technician"]
    cert = app_store.certificates.issue(tess.id, None, "Microdermabrasion technician", 0.9,
                                        app_store.clock() + timedelta(days=365))
    at = open_app(tess, "my_progress.py")
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download my certificate (PDF)", LABEL]
    assert not key_file.exists()  # the key is made when someone first downloads a credential, not on every page

    name, data = download(at, downloads, LABEL)
    assert name.endswith(".jwt") and name.startswith(cert.code)
    document = credentials.read_signed(data.decode(), [credentials.signing_key(create=False)])
    assert document["credentialSubject"]["name"] == "Tess Technician"
    assert document["credentialSubject"]["achievement"]["name"] == "Microdermabrasion technician"
    assert credentials.verdict(document, system_clock(), revoked=False).status == "valid"
    assert any("Open Badges 3.0 credential" in c.value for c in at.caption)


def test_a_revoked_certificate_offers_no_credential(users, app_store, downloads, key_file):  # noqa: F811
    tess = users["technician"]
    cert = app_store.certificates.issue(tess.id, None, "Microdermabrasion technician", 0.9,
                                        app_store.clock() + timedelta(days=365))
    app_store.certificates.revoke(cert.id, users["manager"].actor, "issued in error")
    at = open_app(tess, "my_progress.py")
    assert [b.label for b in at.get("download_button")] == ["Download my revoked certificate (PDF)"]
