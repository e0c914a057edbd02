"""The installed package, not only the checkout: the wheel carries data/ and models/, and the
console script works from any directory."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not (REPO / "pyproject.toml").exists(), reason="needs the source tree")
def test_wheel_contains_data_and_model(tmp_path):
    pytest.importorskip("hatchling")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("socialtech_cli-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "socialtech_cli/cli.py",
        "socialtech_cli/data/taxonomy.toml",
        "socialtech_cli/data/rules.toml",
        "socialtech_cli/data/examples.csv",
        "socialtech_cli/models/default/model.json",
        "socialtech_cli/models/default/terms.txt",
        "socialtech_cli/models/default/weights.f64",
        "socialtech_cli/models/default/rules.toml",
    ):
        assert required in names


def test_console_entry_point_runs_from_any_directory(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "socialtech_cli",
            "classify",
            "--json",
            "Plateforme de dons pour les associations",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["category"] == "ess_tech_solutions"
