"""Puts the generated bindings (ENLACE_BINDINGS_PYTHON, default target/bindings/python) first on
sys.path so `import enlace_mobile` loads them with the shared library beside them."""

import os
import pathlib
import sys

_ROOT = pathlib.Path(__file__).resolve().parents[3]
_BINDINGS = os.environ.get("ENLACE_BINDINGS_PYTHON", str(_ROOT / "target" / "bindings" / "python"))
if not (pathlib.Path(_BINDINGS) / "enlace_mobile" / "__init__.py").exists():
    raise RuntimeError(f"no generated bindings in {_BINDINGS}: run scripts/bindings first")
sys.path.insert(0, _BINDINGS)
