"""The tutorial series: every day runs offline, stages its proof, and prints what its write-up says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from astrocyte.cli.tutorials import Tutorial, load_tutorials, tutorials_app

TUTORIALS = load_tutorials(Path("tutorials"))
SECTIONS = ("## The use case", "## Why files in the context would not do", "## What accumulates", "## How to run it")


def test_the_hub_page_and_tutorials_list_agree() -> None:
    listed = CliRunner().invoke(tutorials_app, ["list", "--markdown"]).output.strip()
    rows = listed.splitlines()[2:]
    assert [row.split(" | ")[:2] for row in rows] == [
        [f"| {tutorial.day}", f"[{tutorial.title}]({tutorial.folder.name}/README.md)"] for tutorial in TUTORIALS
    ]
    assert listed in Path("tutorials/README.md").read_text()


def test_the_series_covers_the_catalog() -> None:
    assert [tutorial.day for tutorial in TUTORIALS] == list(range(1, len(TUTORIALS) + 1))
    frameworks = Counter(framework for tutorial in TUTORIALS for framework in tutorial.frameworks)
    assert all(frameworks[name] >= 5 for name in ("langgraph", "crewai", "llamaindex", "autogen")), frameworks
    shapes = Counter(tutorial.shape for tutorial in TUTORIALS)
    governance = Counter(item for tutorial in TUTORIALS for item in tutorial.governance)
    assert shapes["shared"] >= 5 and shapes["corpus"] >= 3
    assert governance["mip"] >= 3 and governance["profile:support"] >= 3


@pytest.mark.slow
@pytest.mark.parametrize("tutorial", TUTORIALS, ids=lambda tutorial: tutorial.folder.name)
def test_the_tutorial_runs_offline_and_shows_its_proof(tutorial: Tutorial, tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "ASTROCYTE_LLM_MODEL"}
    environment |= {"ASTROCYTE_TUTORIAL_DIR": str(tmp_path), "COLUMNS": "120"}
    done = subprocess.run(
        [sys.executable, str(tutorial.folder / "main.py")],
        capture_output=True,
        text=True,
        timeout=240,  # under pytest-timeout's 300 s, so a hung day fails naming its program
        env=environment,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert tutorial.proof in done.stdout
    write_up = (tutorial.folder / "README.md").read_text()
    for section in SECTIONS:
        assert section in write_up, f"{tutorial.folder.name}: missing {section!r}"
    printed = re.search(r"## What it prints\n+```text\n(.*?)```", write_up, re.DOTALL)
    assert printed, f"{tutorial.folder.name}: the write-up needs a '## What it prints' ```text block"
    assert _lines(printed.group(1)) == _lines(done.stdout)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]
