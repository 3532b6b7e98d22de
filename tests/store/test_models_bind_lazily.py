"""peewee's models find the store the CLI opened on their first query, whatever was imported first."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.slow  # a fresh interpreter
def test_models_use_the_store_opened_before_peewee_was_imported(tmp_path):
    code = ("import sys\nfrom nerv.cli import _ctx\nstore = _ctx.store()\n"
            "assert 'peewee' not in sys.modules\n"
            "from nerv.store.models import Project\nprint(Project.select().count())\n"
            "_ctx.close()\nstore = _ctx.store()\nprint(Project.select().count())")
    env = {**os.environ, "NERV_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]
