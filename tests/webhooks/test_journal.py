"""The journal: durable, keyed, private, marks and retention."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat

import pytest

from tap_calendly.webhooks.envelope import parse
from tap_calendly.webhooks.group_commit import GroupWriter
from tap_calendly.webhooks.journal import FILENAME, Journal, JournalError
from tests.webhooks.helpers import envelope, invitee_payload


def delivery(n, event="invitee.created"):
    return parse(envelope(event, invitee_payload(f"https://api.calendly.com/i/{n}")))


def test_append_collapses_duplicates_in_and_across_transactions(journal_dir):
    with Journal(journal_dir) as journal:
        assert journal.append([delivery(1), delivery(2), delivery(1)], 100.0) == [True, True, False]
        assert journal.append([delivery(2), delivery(3)], 101.0) == [False, True]
        assert journal.counts() == (3, 3)
    with Journal(journal_dir) as reopened:  # it is on disk
        assert [s.seq for s in reopened.pending(10)] == [1, 2, 3]


def test_settings_make_commits_durable(journal_dir):
    with Journal(journal_dir) as journal:
        assert journal.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal.con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_files_are_private(journal_dir):
    with Journal(journal_dir) as journal:
        journal.append([delivery(1)], 1.0)
        for path in [journal_dir, *journal_dir.iterdir()]:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            assert mode & 0o077 == 0, (path, oct(mode))


def test_mark_pending_and_purge(journal_dir):
    with Journal(journal_dir) as journal:
        journal.append([delivery(n) for n in range(5)], 10.0)
        journal.mark([(1, "applied"), (2, "ignored")], applied_at=1000.0)
        journal.mark([(3, "applied")], applied_at=2000.0)
        journal.mark([(1, "applied again?")], applied_at=3000.0)  # never re-marked
        assert [s.seq for s in journal.pending(10)] == [4, 5]
        assert [s.seq for s in journal.pending(10, after=4)] == [5]
        assert journal.purge(applied_before=1500.0) == 2
        assert journal.counts() == (3, 2)
        outcome = journal.con.execute("SELECT outcome FROM deliveries WHERE seq = 3").fetchone()
        assert outcome == ("applied",)
        journal.append([delivery(9)], 20.0)  # seq keeps growing after a purge
        assert journal.pending(10)[-1].seq == 6


def test_not_a_journal(tmp_path):
    target = tmp_path / "j"
    target.mkdir()
    (target / FILENAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="not a usable journal"):
        Journal(target)
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(JournalError, match="not a directory"):
        Journal(afile)


def test_group_writer_shares_commits_and_answers_each(journal_dir):
    writer = GroupWriter(journal_dir)
    commits = []
    append = writer.journal.append

    def counting(deliveries, received_at):
        commits.append(len(deliveries))
        return append(deliveries, received_at)

    writer.journal.append = counting  # type: ignore[method-assign]

    async def main():
        items = [delivery(n) for n in range(300)] + [delivery(n) for n in range(100)]
        return await asyncio.gather(*(writer.store(d) for d in items))

    try:
        results = asyncio.run(main())
    finally:
        writer.close()
    assert results.count(True) == 300
    assert results.count(False) == 100
    assert sum(commits) == 400
    assert len(commits) < 400  # deliveries queued together share a commit
    with Journal(journal_dir) as journal:
        assert journal.counts() == (300, 300)


def test_close_commits_what_is_queued(journal_dir):
    writer = GroupWriter(journal_dir)

    async def main():
        task = asyncio.ensure_future(writer.store(delivery(1)))
        await asyncio.sleep(0)
        return task

    loop = asyncio.new_event_loop()
    try:
        task = loop.run_until_complete(main())
        writer.close()  # the delivery was queued, not yet committed: close commits it
        assert loop.run_until_complete(task) is True
    finally:
        loop.close()
    con = sqlite3.connect(journal_dir / FILENAME)
    assert con.execute("SELECT count(*) FROM deliveries").fetchone() == (1,)
    con.close()
