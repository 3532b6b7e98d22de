"""A real wheel, installed in a fresh virtual environment, finds its migrations from any folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_ships_migrations_and_runs_from_an_unrelated_directory(tmp_path):
    if not (REPO / "pyproject.toml").exists():
        pytest.skip("not running from a source checkout")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("nerv-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(n for n in names if n.startswith("nerv/_migrations/"))
    assert shipped == sorted(f"nerv/_migrations/{p.name}" for p in (REPO / "migrations").glob("*.sql"))
    assert "nerv/data/prices.json" in names  # the built-in price table (nerv.pricing.PRICES_FILE)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = env_dir / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", str(wheel)], check=True, capture_output=True, timeout=900)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"NERV_HOME": str(tmp_path / "home"), "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    nerv = str(env_dir / "bin" / "nerv")
    status = subprocess.run([nerv, "db", "status"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert status.returncode == 1 and "pending" in status.stdout  # fresh home: everything pending
    migrated = subprocess.run([nerv, "db", "migrate"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    status = subprocess.run([nerv, "db", "status"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert status.returncode == 0 and "up to date" in status.stdout
    as_module = subprocess.run([str(env_dir / "bin" / "python"), "-m", "nerv", "--version"], cwd=elsewhere, env=env,
                               capture_output=True, text=True)
    assert as_module.returncode == 0 and as_module.stdout.startswith("nerv ")
    assert not (elsewhere / "migrations").exists()
    shutil.rmtree(env_dir)
