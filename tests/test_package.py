"""The wheel carries the ontology, the shapes and the named queries, and its entry point imports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_ships_resources_and_entry_point(tmp_path):
    # Offline: no index, and the build backend (hatchling) is the one installed in this environment.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-index", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(REPO)],
        check=True,
    )
    (wheel,) = tmp_path.glob("certgraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "certgraph/_resources/ontology/certgraph.ttl" in names
    assert "certgraph/_resources/ontology/shapes.ttl" in names
    queries = {n for n in names if n.startswith("certgraph/_resources/queries/") and n.endswith(".rq")}
    assert len(queries) == len(list((REPO / "queries").rglob("*.rq")))
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "certgraph = certgraph.cli:cli" in entry_points
    # Installed apart from the checkout, the package finds its resources inside itself.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = "from certgraph.resources import queries_dir; from certgraph.cli import cli; print(queries_dir())"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target)}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(target / "certgraph" / "_resources" / "queries")
