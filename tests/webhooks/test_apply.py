"""Apply: rows shaped exactly like batch rows, newest updated_at wins, applied once,
missing tables wait, retention, and a batch load holding the DuckDB lock."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
import pytest
from click.testing import CliRunner

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.sandbox.store import format_ts
from tap_calendly.tap import TapCalendly
from tap_calendly.webhooks import apply as applying
from tap_calendly.webhooks.apply import ApplyError, apply_journal
from tap_calendly.webhooks.cli import apply as apply_command
from tap_calendly.webhooks.duckdb_lock import DatabaseBusy
from tap_calendly.webhooks.envelope import parse
from tap_calendly.webhooks.journal import Journal
from tests.webhooks.helpers import batch_sync, envelope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A small org synced once into two databases (without and with _sdc metadata)."""
    work = tmp_path_factory.mktemp("batch")
    settings = SandboxSettings(
        seed=11, scale="small", now=NOW, rate_limit_per_minute=1_000_000, webhooks=False
    )
    with Sandbox(settings) as sandbox:
        batch_sync(
            sandbox,
            [work / "plain.duckdb", work / "meta.duckdb"],
            None,
            work,
            start_date=NOW - timedelta(days=20),
            lookback_days=1,
            metadata=(False, True),
        )
        truth = sandbox.ground_truth()
    return work, truth


@pytest.fixture(params=["plain", "meta"])
def database(request, loaded, tmp_path):
    work, _ = loaded
    copy = tmp_path / f"{request.param}.duckdb"
    shutil.copy(work / f"{request.param}.duckdb", copy)
    return copy


@pytest.fixture
def truth(loaded):
    _, found = loaded
    return {name: {r["uri"]: r for r in records} for name, records in found.items()}


def query(database, sql, params=()):
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, list(params)).fetchall()


def raw_rows(database, table, uris):
    """Every column as DuckDB holds it (JSON as its text), by uri."""
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        cur = con.execute(
            f"SELECT * FROM calendly.{table} WHERE uri IN (SELECT unnest(?))", [list(uris)]
        )
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def column_types(database, table):
    return query(
        database,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'calendly' AND table_name = ? ORDER BY ordinal_position",
        [table],
    )


def invitee_delivery(invitee, events, name="invitee.created"):
    payload = {**invitee, "scheduled_event": events[invitee["event"]]}
    return envelope(name, payload, invitee["updated_at"])


def journal_with(journal_dir, bodies, received_at=1_800_000_000.0):
    with Journal(journal_dir) as journal:
        journal.append([parse(b) for b in bodies], received_at)


def interesting_invitees(database, truth):
    """Invitees in the table covering every JSON column with a value, and some plain."""
    present = {r[0] for r in query(database, "SELECT uri FROM calendly.event_invitees")}
    chosen = {}
    for field in ("cancellation", "no_show", "reconfirmation", "payment", "tracking"):
        for uri, invitee in sorted(truth["event_invitees"].items()):
            if uri in present and invitee.get(field):
                chosen[uri] = invitee
                break
        else:
            raise AssertionError(f"no synced invitee with {field}")
    for uri in sorted(present)[:20]:
        chosen[uri] = truth["event_invitees"][uri]
    return chosen


def test_applied_rows_are_identical_to_batch_rows(database, truth, tmp_path):
    """Delete rows the batch loaded, apply the same records as webhooks: same rows back."""
    invitees = interesting_invitees(database, truth)
    events = {i["event"] for i in invitees.values()}
    submissions = sorted(
        r[0] for r in query(database, "SELECT uri FROM calendly.routing_form_submissions")
    )[:10]
    wanted = {
        "event_invitees": set(invitees),
        "scheduled_events": events,
        "routing_form_submissions": set(submissions),
    }
    before = {t: raw_rows(database, t, uris) for t, uris in wanted.items()}
    types = {t: column_types(database, t) for t in wanted}
    assert all(len(before[t]) == len(wanted[t]) for t in wanted)
    with duckdb.connect(str(database)) as con:
        for table, uris in wanted.items():
            con.execute(
                f"DELETE FROM calendly.{table} WHERE uri IN (SELECT unnest(?))", [list(uris)]
            )
    bodies = [invitee_delivery(i, truth["scheduled_events"]) for i in invitees.values()]
    bodies += [
        envelope("routing_form_submission.created", truth["routing_form_submissions"][uri])
        for uri in submissions
    ]
    journal_with(tmp_path / "j", bodies, received_at=1_800_000_000.5)
    report = apply_journal(tmp_path / "j", database, clock=lambda: 1_800_000_100.0)
    assert report.merged == len(bodies)
    assert report.tables["event_invitees"].inserted == len(invitees)
    assert report.tables["scheduled_events"].inserted == len(events)
    for table, uris in wanted.items():
        assert column_types(database, table) == types[table]
        after = raw_rows(database, table, uris)
        assert set(after) == set(before[table])
        for uri, row in after.items():
            batch = before[table][uri]
            plain = {k: v for k, v in row.items() if not k.startswith("_sdc_")}
            assert plain == {k: v for k, v in batch.items() if not k.startswith("_sdc_")}
            assert set(row) == set(batch)
            if "_sdc_extracted_at" in row:  # filled as the loader fills them
                assert row["_sdc_extracted_at"].timestamp() == 1_800_000_000.5
                assert row["_sdc_received_at"].timestamp() == 1_800_000_100.0
                assert row["_sdc_batched_at"] == row["_sdc_received_at"]
                assert row["_sdc_sequence"] > 0
                assert row["_sdc_deleted_at"] is None
                assert row["_sdc_table_version"] == batch["_sdc_table_version"]


def _one_invitee(database, truth):
    uri = query(database, "SELECT uri FROM calendly.event_invitees ORDER BY uri LIMIT 1")[0][0]
    return truth["event_invitees"][uri]


def _later(invitee, seconds, **changes):
    stamp = datetime.fromisoformat(invitee["updated_at"]) + timedelta(seconds=seconds)
    return {**invitee, **changes, "updated_at": format_ts(stamp)}


def row_of(database, uri):
    found = query(
        database,
        "SELECT status, updated_at, cancellation::VARCHAR FROM calendly.event_invitees "
        "WHERE uri = ?",
        [uri],
    )
    assert len(found) == 1
    return found[0]


def test_newest_updated_at_wins_whatever_the_arrival_order(database, truth, tmp_path):
    invitee = _one_invitee(database, truth)
    events = truth["scheduled_events"]
    canceled = _later(invitee, 60, status="canceled", cancellation={"reason": "newer"})
    older = _later(invitee, 30, status="active", cancellation={"reason": "older"})
    stale = _later(invitee, -3600, status="canceled", cancellation={"reason": "stale"})
    journal = tmp_path / "j"
    # older after newer in one run
    journal_with(journal, [invitee_delivery(canceled, events), invitee_delivery(older, events)])
    report = apply_journal(journal, database)
    assert report.tables["event_invitees"].updated == 1
    assert row_of(database, invitee["uri"])[0] == "canceled"
    # the older one again, alone, in a later run; and one older than the batch row
    journal_with(
        journal,
        [
            invitee_delivery(older, events, "invitee_no_show.created"),
            invitee_delivery(stale, events, "invitee.canceled"),
        ],
    )
    report = apply_journal(journal, database)
    assert report.merged == 2
    assert report.tables["event_invitees"].kept == 1  # one row: the newest of the two
    assert report.tables["event_invitees"].updated == 0
    status, updated_at, cancellation = row_of(database, invitee["uri"])
    assert status == "canceled"
    assert orjson.loads(cancellation) == {"reason": "newer"}
    assert format_ts(updated_at) == canceled["updated_at"]


def test_applied_deliveries_are_never_applied_twice(database, truth, tmp_path, monkeypatch):
    invitee = _later(_one_invitee(database, truth), 60, status="canceled")
    journal = tmp_path / "j"
    journal_with(journal, [invitee_delivery(invitee, truth["scheduled_events"])])
    # a crash after DuckDB committed but before the journal was marked ...
    monkeypatch.setattr(Journal, "mark", lambda *a, **k: (_ for _ in ()).throw(OSError("crash")))
    with pytest.raises(OSError, match="crash"):
        apply_journal(journal, database, clock=lambda: 1_800_000_000.0)
    monkeypatch.undo()
    after_crash = raw_rows(database, "event_invitees", [invitee["uri"]])
    # ... so the delivery is still pending; re-applying it changes nothing
    again = apply_journal(journal, database, clock=lambda: 1_800_009_999.0)
    assert again.merged == 1
    assert again.tables["event_invitees"].updated == 0
    assert raw_rows(database, "event_invitees", [invitee["uri"]]) == after_crash
    # and now it is marked: nothing left to apply
    third = apply_journal(journal, database)
    assert third.merged == 0
    assert third.tables == {}
    with Journal(journal) as opened:
        assert opened.counts() == (1, 0)


def test_missing_table_keeps_deliveries_journaled(database, truth, tmp_path):
    submission = next(iter(truth["routing_form_submissions"].values()))
    invitee = _later(_one_invitee(database, truth), 60, status="canceled")
    journal = tmp_path / "j"
    journal_with(
        journal,
        [
            envelope("routing_form_submission.created", submission),
            invitee_delivery(invitee, truth["scheduled_events"]),
        ],
    )
    with duckdb.connect(str(database)) as con:
        saved = con.execute("SELECT * FROM calendly.routing_form_submissions").fetchall()
        layout = con.execute(
            "SELECT sql FROM duckdb_tables() WHERE table_name = 'routing_form_submissions'"
        ).fetchone()[0]
        con.execute("DROP TABLE calendly.routing_form_submissions")
    report = apply_journal(journal, database)
    assert (report.merged, report.waiting) == (1, 1)
    assert report.missing == {"routing_form_submissions"}
    assert "1 wait for missing table(s) calendly.routing_form_submissions" in report.summary()
    assert apply_journal(journal, database).waiting == 1  # still waiting, still journaled
    with duckdb.connect(str(database)) as con:  # a batch sync creates the table
        con.execute(layout)
        marks = ", ".join(["?"] * len(saved[0]))
        con.executemany(f"INSERT INTO calendly.routing_form_submissions VALUES ({marks})", saved)
    report = apply_journal(journal, database)
    assert (report.merged, report.waiting) == (1, 0)
    assert report.tables["routing_form_submissions"].kept == 1  # the batch row is as new


def test_skip_missing_tables_marks_them_done(database, truth, tmp_path):
    submission = next(iter(truth["routing_form_submissions"].values()))
    journal = tmp_path / "j"
    journal_with(journal, [envelope("routing_form_submission.created", submission)])
    with duckdb.connect(str(database)) as con:
        con.execute("DROP TABLE calendly.routing_form_submissions")
    report = apply_journal(journal, database, skip_missing_tables=True)
    assert (report.skipped, report.waiting) == (1, 0)
    with Journal(journal) as opened:
        assert opened.counts() == (1, 0)


def test_other_events_are_marked_ignored(database, tmp_path):
    journal = tmp_path / "j"
    journal_with(journal, [envelope("event_type.updated", {"uri": "https://x/event_types/E"})])
    report = apply_journal(journal, database)
    assert (report.merged, report.ignored) == (0, 1)
    assert apply_journal(journal, database).ignored == 0


def test_retention_purges_only_applied_deliveries(database, truth, tmp_path):
    invitee = _one_invitee(database, truth)
    journal = tmp_path / "j"
    day = 86_400.0
    journal_with(journal, [invitee_delivery(invitee, truth["scheduled_events"])])
    apply_journal(journal, database, clock=lambda: 1_000 * day)
    journal_with(journal, [envelope("event_type.deleted", {"uri": "https://x/event_types/E"})])
    with duckdb.connect(str(database)) as con:
        con.execute("DROP TABLE calendly.event_invitees")
    journal_with(journal, [invitee_delivery(_later(invitee, 5), truth["scheduled_events"])])
    report = apply_journal(journal, database, retention_days=7, clock=lambda: 1_006 * day)
    assert report.purged == 0
    report = apply_journal(journal, database, retention_days=7, clock=lambda: 1_008 * day)
    assert report.purged == 1  # the first one; the ignored one was applied on day 1006
    with Journal(journal) as opened:
        assert opened.counts() == (2, 1)  # the one waiting for its table is kept


def test_a_table_without_uri_or_updated_at_is_refused(database, truth, tmp_path):
    journal = tmp_path / "j"
    journal_with(
        journal, [invitee_delivery(_one_invitee(database, truth), truth["scheduled_events"])]
    )
    with duckdb.connect(str(database)) as con:
        con.execute("ALTER TABLE calendly.event_invitees DROP COLUMN updated_at")
    with pytest.raises(ApplyError, match="no uri or updated_at column"):
        apply_journal(journal, database)


# -- a batch load holding the DuckDB lock --------------------------------------------------


class HeldByLoader:
    """target-calendly-duckdb in its own process, holding the file while stdin is open."""

    def __init__(self, database: Path, tmp_path: Path) -> None:
        self.database = database.resolve()
        config = tmp_path / "target.json"
        config.write_text(orjson.dumps({"database": str(database)}).decode())
        self.proc = subprocess.Popen(
            [str(BIN / "target-calendly-duckdb"), "--config", str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not self._locked():
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            assert time.monotonic() < deadline, "the loader never took the lock"
            time.sleep(0.05)

    def _locked(self) -> bool:
        """The loader has the file open (and so its lock): seen in /proc, without
        touching the file ourselves (a probe connection would take a lock too)."""
        fds = Path(f"/proc/{self.proc.pid}/fd")
        try:
            return any(os.path.realpath(fd) == str(self.database) for fd in fds.iterdir())
        except OSError:
            return False

    def send(self, message: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(orjson.dumps(message) + b"\n")
        self.proc.stdin.flush()

    def finish(self) -> str:
        _out, err = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, err
        return err.decode()


@pytest.fixture
def hold(tmp_path):
    started = []

    def start(database):
        loader = HeldByLoader(database, tmp_path)
        started.append(loader)
        return loader

    yield start
    for loader in started:
        if loader.proc.poll() is None:
            loader.proc.kill()
        loader.proc.communicate()


def test_apply_waits_for_a_running_batch_load_and_newest_wins_both_ways(
    database, truth, tmp_path, hold
):
    """A load of newer batch data for B and older batch data for A runs while apply
    waits with a newer delivery for A and an older one for B: A ends as the delivery,
    B as the batch, whatever finished last."""
    first, second = (
        truth["event_invitees"][row[0]]
        for row in query(database, "SELECT uri FROM calendly.event_invitees ORDER BY uri LIMIT 2")
    )
    events = truth["scheduled_events"]
    journal = tmp_path / "j"
    journal_with(
        journal,
        [
            invitee_delivery(_later(first, 60, status="canceled"), events),
            invitee_delivery(_later(second, 30, status="canceled"), events),
        ],
    )
    loader = hold(database)
    schema = (
        TapCalendly(config={}, validate_config=False, setup_mapper=False)
        .streams["event_invitees"]
        .schema
    )
    loader.send(
        {"type": "SCHEMA", "stream": "event_invitees", "schema": schema, "key_properties": ["uri"]}
    )
    for record in (_later(first, 10, name="batch older"), _later(second, 90, name="batch newer")):
        loader.send({"type": "RECORD", "stream": "event_invitees", "record": record})
    outcome = {}
    worker = threading.Thread(
        target=lambda: outcome.update(report=apply_journal(journal, database, lock_timeout=120))
    )
    worker.start()
    worker.join(timeout=1.0)
    assert worker.is_alive()  # waiting for the lock, not failed
    with Journal(journal) as opened:
        assert opened.counts() == (2, 2)
    loader.finish()  # the load commits and ends
    worker.join(timeout=120)
    counts = outcome["report"].tables["event_invitees"]
    assert (counts.updated, counts.kept) == (1, 1)
    names = dict(
        query(
            database,
            "SELECT uri, name || '/' || status FROM calendly.event_invitees WHERE uri IN (?, ?)",
            [first["uri"], second["uri"]],
        )
    )
    assert names == {
        first["uri"]: f"{first['name']}/canceled",  # the delivery, newer than the batch
        second["uri"]: "batch newer/active",
    }


def test_apply_gives_up_after_the_lock_timeout_and_keeps_the_deliveries(
    database, truth, tmp_path, hold
):
    invitee = _later(_one_invitee(database, truth), 60)
    journal = tmp_path / "j"
    journal_with(journal, [invitee_delivery(invitee, truth["scheduled_events"])])
    loader = hold(database)
    with pytest.raises(DatabaseBusy) as caught:
        apply_journal(journal, database, lock_timeout=0.3)
    message = str(caught.value)
    assert f"locked by PID {loader.proc.pid}" in message
    assert "stay journaled" in message
    result = CliRunner().invoke(
        apply_command,
        ["--database", str(database), "--journal", str(journal), "--lock-timeout", "0.2"],
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "error: DuckDB database" in result.output
    assert "Traceback" not in result.output
    loader.finish()
    with Journal(journal) as opened:
        assert opened.counts() == (1, 1)


def test_a_delivery_received_after_apply_took_the_lock_waits_for_the_next_apply(
    database, truth, tmp_path, monkeypatch
):
    """A batch load that started while apply held the file may have read older data than
    a delivery arriving now: merging it before that load commits would let the load's row
    replace it, so apply stops at the deliveries it had when it took the lock."""
    first, second = (
        truth["event_invitees"][row[0]]
        for row in query(database, "SELECT uri FROM calendly.event_invitees ORDER BY uri LIMIT 2")
    )
    events = truth["scheduled_events"]
    journal = tmp_path / "j"
    journal_with(journal, [invitee_delivery(_later(first, 60, status="canceled"), events)])
    snapshot = Journal.newest

    def arrives_once_locked(opened):
        """The delivery arrives right after apply took the lock and noted the newest."""
        seq = snapshot(opened)
        journal_with(journal, [invitee_delivery(_later(second, 60, status="canceled"), events)])
        return seq

    before = row_of(database, second["uri"])
    monkeypatch.setattr(Journal, "newest", arrives_once_locked)
    report = apply_journal(journal, database)
    assert report.merged == 1
    assert row_of(database, first["uri"])[0] == "canceled"
    assert row_of(database, second["uri"]) == before
    with Journal(journal) as opened:
        assert opened.counts() == (2, 1)
    monkeypatch.undo()
    assert apply_journal(journal, database).merged == 1
    after = row_of(database, second["uri"])
    assert after[:2] != before[:2]
    assert after[0] == "canceled"


# -- the command ---------------------------------------------------------------------


def test_apply_command_reports_and_exits(database, truth, tmp_path):
    invitee = _later(_one_invitee(database, truth), 60, status="canceled")
    journal = tmp_path / "j"
    journal_with(journal, [invitee_delivery(invitee, truth["scheduled_events"])])
    runner = CliRunner()
    result = runner.invoke(
        apply_command, ["--database", str(database), "--journal", str(journal), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout.splitlines()[0])
    assert report["merged"] == 1
    assert report["tables"]["event_invitees"] == {"inserted": 0, "updated": 1, "kept": 0}
    assert "applied 1 deliveries" in result.stderr


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--database", "{missing_db}", "--journal", "{journal}"], "does not exist"),
        (["--database", "{db}", "--journal", "{missing_journal}"], "no webhook journal"),
        (["--database", "{db}"], "Missing option '--journal'"),
        (["--database", "{db}", "--journal", "{journal}", "--retention-days", "-1"], "-1"),
    ],
)
def test_apply_command_usage_errors_exit_2(database, tmp_path, args, text):
    journal = tmp_path / "j"
    journal_with(journal, [])
    values = {
        "missing_db": str(tmp_path / "nope.duckdb"),
        "journal": str(journal),
        "db": str(database),
        "missing_journal": str(tmp_path / "nothing-here"),
    }
    result = CliRunner().invoke(apply_command, [a.format(**values) for a in args])
    assert result.exit_code == 2, result.output
    assert text in result.output
    assert "Traceback" not in result.output


def test_report_summary_names_each_table():
    report = applying.ApplyReport(merged=3)
    report.tables["event_invitees"] = applying.TableCounts(1, 1, 1)
    assert report.summary().startswith(
        "applied 3 deliveries (event_invitees: 1 new, 1 updated, 1 not newer than the table)"
    )


def test_nothing_pending_leaves_the_database_alone(database, truth, tmp_path, hold):
    """With every delivery applied, apply does not even wait for a running load."""
    journal = tmp_path / "j"
    journal_with(
        journal, [invitee_delivery(_one_invitee(database, truth), truth["scheduled_events"])]
    )
    assert apply_journal(journal, database).merged == 1
    loader = hold(database)
    report = apply_journal(journal, database, lock_timeout=0)
    assert (report.merged, report.tables) == (0, {})
    loader.finish()
