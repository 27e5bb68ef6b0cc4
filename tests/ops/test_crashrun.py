"""S-CR-2 in CI size: SQLite killed with SIGKILL under load, restarted; nothing acknowledged is
lost, nothing doubled, the file stays intact and every invariant holds."""

from __future__ import annotations

from ops import crashrun


def test_s_cr_2_s_idem_8_s_out_1_sqlite_survives_being_killed_under_load():
    summary = crashrun.run("sqlite", cycles=3, seconds=1.5, restart_postgres=False)
    assert summary["acknowledged"] > 0, summary
    assert summary["acknowledged but missing"] == 0
    assert summary["duplicated (orders per key > 1)"] == 0
    assert summary["still unknown"] == 0, summary
    assert summary["sqlite integrity failures"] == 0
    assert summary["events waiting for delivery"] == 0
    assert summary["dingdan check"] == "ok", summary["dingdan check"]
