"""The key pass reads any spool: one larger than DuckDB's read buffer, whose size is derived
from the batch's longest-line bound. DuckDB's parallel CSV reader (an earlier key pass)
refused such a file ("does not support a full read on this file") when the bound was far
above the real lines, as it is when a run of records is spooled in one write; the JSON
reader the key pass uses now must read it whole."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tap_calendly.loader.batch import Batch
from tap_calendly.loader.spool_sql import objects


def test_the_key_pass_reader_reads_a_spool_larger_than_its_buffer(tmp_path: Path) -> None:
    spool = tmp_path / "0.jsonl"
    pad = "y" * 450
    body = "".join(f'{{"record": {{"uri": "u-{i:05d}", "pad": "{pad}"}}}}\n' for i in range(5_441))
    spool.write_text(body, encoding="utf-8")
    batch = Batch(stream="s", table="s", columns=[], keys=[], spool=spool, rows=5_441)
    batch.max_line = 196_980  # a bound from a whole run written at once, as in real loads
    with duckdb.connect() as con:
        got = con.execute(
            f"SELECT count(*), max(ordinality), count(DISTINCT json->>'$.record.uri') "
            f"FROM {objects(batch)}"
        ).fetchone()
    assert got == (5_441, 5_441, 5_441)
