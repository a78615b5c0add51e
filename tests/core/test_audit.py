"""The audit trail itself (core/audit.py): appends chain per stream, the chain verifies,
an edited or removed row is reported at its seq, PostgreSQL refuses edits, and
concurrent writers keep one chain."""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from core.audit import (
    GENESIS,
    audit_head,
    audit_heads_digest,
    audit_record,
    audit_verify,
    event_fields,
    event_hash,
)
from core.models import AuditEvent
from tests.factories import OrganizationFactory, UserFactory
from tests.race import race

pytestmark = pytest.mark.django_db


def _three_in_one_stream(organization, actor):
    return [
        audit_record(
            action="test.step",
            actor=actor,
            subject=("test.thing", f"thing-{n}"),
            scope=organization,
            data={"n": n, "text": "名前", "nested": {"b": 1, "a": [1, 2]}},
            reason=f"step {n}",
        )[0]
        for n in range(3)
    ]


def _tamper(sql: str, params: list) -> None:
    """Change a row as someone with database access would: PostgreSQL's trigger is
    switched off for the edit (the test user owns the table), then on again."""
    # SQLite keeps a UUID as its 32 hex digits.
    sqlite = connection.vendor == "sqlite"
    params = [p.hex if sqlite and isinstance(p, uuid.UUID) else p for p in params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")


def test_events_of_one_stream_chain_and_the_chain_verifies():
    # given
    organization, actor = OrganizationFactory(), UserFactory()

    # when
    events = _three_in_one_stream(organization, actor)

    # then: seq 1..3 in the organization's stream, each linked to the one before
    assert [e.seq for e in events] == [1, 2, 3]
    assert {e.stream for e in events} == {f"org:{organization.pk}"}
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert (events[0].actor_id, events[0].actor_label) == (actor.pk, actor.email)
    assert audit_verify() == (3, [])
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "OK: 3 audit event(s)" in out.getvalue()
    assert audit_head(stream=f"org:{organization.pk}") == {
        "stream": f"org:{organization.pk}",
        "seq": 3,
        "hash": events[2].hash,
    }


def test_streams_are_separate_chains_and_a_system_actor_is_labelled():
    # given / when
    first = audit_record(action="a", actor=None, subject=("t", "1"), scope=OrganizationFactory())
    person = audit_record(action="b", actor="beat", subject=("t", "2"), scope=UserFactory())
    platform = audit_record(action="c", actor=None, subject=("t", "3"))
    both = audit_record(
        action="d", actor=None, subject=("t", "4"), scope=[OrganizationFactory(), None]
    )

    # then
    assert [e.seq for e in (*first, *person, *platform)] == [1, 1, 1]
    assert person[0].stream.startswith("person:") and person[0].actor_label == "beat"
    assert first[0].actor_label == "system" and platform[0].stream == "platform"
    assert sorted(e.stream.split(":")[0] for e in both) == ["org", "platform"]
    assert [e.seq for e in both if e.stream == "platform"] == [2]
    assert audit_heads_digest()["streams"] == 4


def test_an_edited_event_is_reported_at_its_seq_by_audit_verify():
    # given: a chain of three, the second's reason rewritten behind the services' back
    organization = OrganizationFactory()
    events = _three_in_one_stream(organization, UserFactory())
    _tamper("UPDATE core_auditevent SET reason = %s WHERE id = %s", ["nothing", events[1].pk])

    # when
    _, broken = audit_verify()

    # then: the first broken link is seq 2, and the command says so and fails
    assert [(b.stream, b.seq) for b in broken] == [(f"org:{organization.pk}", 2)]
    assert "edited" in broken[0].problem
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", stderr=err)
    assert f"stream org:{organization.pk}: seq 2" in err.getvalue()


def test_a_removed_event_is_reported_as_missing():
    # given
    organization = OrganizationFactory()
    events = _three_in_one_stream(organization, UserFactory())
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[0].pk])

    # when
    _, broken = audit_verify()

    # then
    assert [(b.seq, b.problem) for b in broken] == [(1, "missing: the next event found is seq 2")]


def test_an_edit_whose_hash_is_recomputed_breaks_the_next_link():
    # given: the second event edited and its own hash recomputed to match the edit
    organization = OrganizationFactory()
    events = _three_in_one_stream(organization, UserFactory())
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.reason = "nothing"
    _tamper(
        "UPDATE core_auditevent SET reason = %s, hash = %s WHERE id = %s",
        ["nothing", event_hash(event_fields(forged)), forged.pk],
    )

    # when
    _, broken = audit_verify()

    # then: that row is self-consistent, but the next one no longer links to it
    assert [(b.seq, b.problem) for b in broken] == [
        (3, "prev_hash is not the hash of the event before it")
    ]


@pytest.mark.postgresql
def test_postgresql_refuses_to_update_or_delete_an_event():
    # given
    [event] = audit_record(action="a", actor=None, subject=("t", "1"))

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_to_one_stream_keep_one_chain():
    # given
    organization = OrganizationFactory()

    # when: 20 writers append to the same stream at once, each in its own transaction
    def append(n):
        with transaction.atomic():
            return audit_record(
                action="race", actor=None, subject=("t", str(n)), scope=organization
            )[0].seq

    results = race(append, list(range(20)))

    # then: every write landed, seq 1..20 without a fork, and the chain verifies
    assert sorted(results) == list(range(1, 21))
    assert audit_verify() == (20, [])
