"""The fault-injection script (benchmarks/chaos.py) cannot rot unseen: its table and exit status
on made-up probes, and one of its real probes against a real daemon."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.chaos import PROBES, Probe, Row, main, render, run_probes


def made_up_probes() -> list[Probe]:
    def passing(folder: Path) -> list[Row]:
        assert folder.is_dir()
        return [Row("a | b", "two rows", "two rows", True), Row("c", "x", "x", True)]

    def failing(folder: Path) -> list[Row]:
        return [Row("d", "stopped", "timeout", False)]

    def breaking(folder: Path) -> list[Row]:
        raise AssertionError("a crawl of bayraq: not within 60s")

    return [
        Probe("passing", "passing probe", "-", passing),
        Probe("failing", "failing probe", "-", failing),
        Probe("breaking", "breaking probe", "the crawl stuck", breaking),
    ]


def test_a_row_per_finding_and_exit_1_when_any_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probes = made_up_probes()
    assert main(["--workdir", str(tmp_path), "--only", "passing"], probes=probes) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["| probe | expected | seen | result |", "| --- | --- | --- | --- |"]
    assert lines[2:] == ["| a \\| b | two rows | two rows | PASS |", "| c | x | x | PASS |"]

    assert main(["--workdir", str(tmp_path)], probes=probes) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "| d | stopped | timeout | **FAIL** |" in lines
    # A probe that breaks is a failed row saying how, and the probes after it still run.
    assert (
        "| breaking probe | the crawl stuck | broke: AssertionError: a crawl of bayraq: not "
        "within 60s | **FAIL** |"
    ) in lines
    assert len(lines) == 2 + 4


def test_unknown_probe_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--workdir", str(tmp_path), "--only", "no-such-probe"], probes=made_up_probes())
    assert exit_info.value.code == 2


def test_every_fault_of_the_issue_has_a_probe() -> None:
    assert [p.key for p in PROBES] == [
        "hostile",
        "kill-daemon-crawl",
        "kill-child",
        "kill-daemon-dispatch",
        "sigterm-restarts",
        "slack-429-500",
        "smtp-down",
    ]


@pytest.mark.slow
def test_the_crawl_child_probe_passes_on_todays_code(tmp_path: Path) -> None:
    [probe] = [p for p in PROBES if p.key == "kill-child"]
    rows = run_probes([probe], tmp_path)
    assert rows and all(row.passed for row in rows), render(rows)
