"""The generated Python layer matches the model (codegen/gen_python.py --check)."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_generated_code_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(REPO / "codegen" / "gen_python.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
