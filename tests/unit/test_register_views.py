"""What the manager reads in the register (issue #16): role and name filters, blank dates, who revoked a certificate,
"not certified" for technicians only, each person's certificate history, the audited refusal of an import, and the
certificate's wording with the clinic's recorded name."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from modules import auth, clinic, register
from modules.certificates import certificate_pdf
from modules.core.errors import ImportRejected
from modules.core.types import CertificateStatus, Role

PASSWORD = "correct horse battery"
TITLE = "Microdermabrasion technician"


def person(store, username, name, role=Role.TECHNICIAN, location="North"):
    return store.accounts.get(auth.create_user(store, username, name, role, PASSWORD, location))


@pytest.fixture
def manager(store):
    return person(store, "mia", "Mia Manager", Role.MANAGER)


@pytest.fixture
def clinic_staff(store, manager):
    """A certified technician, an uncertified one, a revoked one, an uncertified trainer and a certified trainer."""
    people = {"tess": person(store, "tess", "Tess North"), "sam": person(store, "sam", "Sam South", location="South"),
              "rita": person(store, "rita", "Rita Revoked", location="South"),
              "tom": person(store, "tom", "Tom Trainer", Role.TRAINER),
              "ursula": person(store, "ursula", "Ursula Trainer", Role.TRAINER, "South")}
    for name in ("tess", "rita", "ursula"):
        store.certificates.issue(people[name].id, None, TITLE, 0.9, store.clock() + timedelta(days=200))
    rita_cert = next(c for c in store.certificates.for_user(manager.actor, people["rita"].id))
    store.certificates.revoke(rita_cert.id, manager.actor, "Practical not signed off")
    return people


def rows(store, manager):
    return register.register_rows(store, manager.actor, store.clock())


def names(found):
    return [row.username for row in found]


def test_not_certified_counts_technicians_only(store, manager, clinic_staff):
    counts = register.status_counts(rows(store, manager))
    assert counts[CertificateStatus.NOT_CERTIFIED] == 1  # Sam; not Mia (manager) nor Tom (trainer)
    assert counts[CertificateStatus.CERTIFIED] == 2  # Tess, and Ursula: a trainer who holds one still counts
    assert counts[CertificateStatus.REVOKED] == 1
    wanted = register.RegisterFilter(statuses=frozenset({CertificateStatus.NOT_CERTIFIED}))
    assert names(register.filter_rows(rows(store, manager), wanted)) == ["sam"]
    table = register.register_table(rows(store, manager)).set_index("Username")
    assert table.loc["tom", "Status"] == "" and table.loc["mia", "Status"] == ""
    assert table.loc["sam", "Status"] == "not certified"


def test_filters_by_role_location_and_name(store, manager, clinic_staff):
    everyone = rows(store, manager)
    trainers = register.RegisterFilter(roles=frozenset({Role.TRAINER}))
    assert names(register.filter_rows(everyone, trainers)) == ["tom", "ursula"]
    south_technicians = register.RegisterFilter(roles=frozenset({Role.TECHNICIAN}), locations=frozenset({"South"}))
    assert names(register.filter_rows(everyone, south_technicians)) == ["rita", "sam"]
    assert names(register.filter_rows(everyone, register.RegisterFilter(name_contains=" SOUTH "))) == ["sam"]
    assert names(register.filter_rows(everyone, register.RegisterFilter(name_contains="urs"))) == ["ursula"]


def test_dates_are_blank_not_none_where_there_is_no_certificate(store, manager, clinic_staff):
    table = register.register_table(rows(store, manager)).set_index("Username")
    assert table.loc["sam", ["Issued", "Expires", "Revoked on"]].tolist() == ["", "", ""]
    issued = store.clock().date().isoformat()
    assert table.loc["tess", "Issued"] == issued
    assert table.loc["tess", "Expires"] == (store.clock() + timedelta(days=200)).date().isoformat()
    assert "None" not in table.to_csv()


def test_a_revoked_certificate_shows_when_why_and_who_by_name(store, manager, clinic_staff):
    everyone = rows(store, manager)
    table = register.register_table(everyone).set_index("Username")
    assert table.loc["rita", ["Status", "Revoked on", "Revoked by", "Revocation reason"]].tolist() == [
        "revoked", store.clock().date().isoformat(), "Mia Manager", "Practical not signed off"]
    assert table.loc["tess", ["Revoked on", "Revoked by", "Revocation reason"]].tolist() == ["", "", ""]
    exported = register.register_file(everyone, "csv", "UTC").decode("utf-8-sig")
    assert "Mia Manager,Practical not signed off" in exported


def test_a_person_s_history_lists_every_certificate_with_its_revocation(store, clock, manager, clinic_staff):
    rita = clinic_staff["rita"]
    clock.advance(days=3)
    renewed = store.certificates.issue(rita.id, None, TITLE, 0.95, clock() + timedelta(days=365))
    history = register.certificate_history(store, manager.actor, rita.id, clock(), "UTC")
    assert list(history.columns) == list(register.HISTORY_COLUMNS)
    assert history["Certificate code"].iloc[0] == renewed.code  # newest first
    assert history["Status"].tolist() == ["certified", "revoked"]
    assert history.iloc[1][["Revoked by", "Revocation reason"]].tolist() == ["Mia Manager", "Practical not signed off"]
    assert history.iloc[0][["Revoked on", "Revoked by", "Revocation reason"]].tolist() == ["", "", ""]
    assert register.certificate_history(store, manager.actor, clinic_staff["sam"].id, clock()).empty


def test_history_is_for_managers_only(store, manager, clinic_staff):
    trainer = clinic_staff["tom"].actor
    with pytest.raises(Exception, match="Only a manager"):
        register.certificate_history(store, trainer, clinic_staff["tess"].id, store.clock())


def test_the_revocation_question_repeats_who_which_and_why():
    assert (register.revocation_question("Sam Lee", "MDT-1234", "  Practical not signed off ")
            == "Revoke Sam Lee's certificate MDT-1234 because 'Practical not signed off'?")


def test_a_rejected_import_is_audited_as_a_refusal_without_any_password(store, manager):
    data = b"username,full_name,role,location\nann,,technician,\nbob,Bob,chef,\ncat,Cat,trainer,\n"
    with pytest.raises(ImportRejected):
        register.import_users(store, manager.actor, data)
    [entry] = store.audit.rows(manager.actor, action="import_rejected")
    assert entry.actor_id == manager.id and entry.target == "accounts"
    assert '"rows":3' in entry.detail and "line 2: the full name is missing" in entry.detail
    assert "password" not in entry.detail.lower()
    assert store.accounts.find("cat") is None


def test_an_unreadable_import_is_audited_too(store, manager):
    with pytest.raises(ImportRejected):
        register.import_users(store, manager.actor, "username\nzoë\n".encode("utf-16"))
    [entry] = store.audit.rows(manager.actor, action="import_rejected")
    assert "not UTF-8" in entry.detail


def test_a_good_import_writes_no_refusal(store, manager):
    register.import_users(store, manager.actor, b"username,full_name,role,location\nann,Ann,technician,North\n")
    assert store.audit.rows(manager.actor, action="import_rejected") == []


def test_certificates_carry_the_requirements_wording_and_the_recorded_clinic_name(store, manager, clinic_staff,
                                                                                  monkeypatch):
    readable = certificate_pdf  # uncompressed, so the test can find the text in the bytes
    monkeypatch.setattr("modules.register.certificate_pdf",
                        lambda *args, **kwargs: readable(*args, **{**kwargs, "compress": False}))
    clinic.update(store, manager.actor, "Riverside Skin Clinic", "https://training.riverside.example")
    views = register.current_views(rows(store, manager), store.clock())
    data = register.certificates_zip_export(store, manager.actor, views, clinic.clinic_name(store),
                                            clinic.public_address(store), "UTC")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pdfs = [archive.read(name) for name in archive.namelist()]
    assert len(pdfs) == 2
    for pdf in pdfs:
        assert b"has completed the requirements for" in pdf and TITLE.encode() in pdf
        assert b"Riverside Skin Clinic" in pdf and b"successfully" not in pdf
