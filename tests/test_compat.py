"""sewlearn._compat: private scikit-learn names, skorch overrides, lowest versions."""

import ast
import inspect
import pathlib
import re

import pytest
import skorch
from packaging.requirements import Requirement
from packaging.version import Version
from skorch import NeuralNet

import sewlearn
from sewlearn import _compat
from sewlearn._net import LossPartsNet

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Declared lower bounds that CI cannot test: only torch 2.13.0 (a CPU build) is
# on the CI machine's disk; the other releases are multi-GB CUDA builds.
UNTESTED_LOWER_BOUNDS = {"torch"}


@pytest.mark.parametrize("name", _compat.__all__)
def test_compat_name_importable(name):
    namespace = {}
    exec(f"from sewlearn._compat import {name}", namespace)
    assert namespace[name] is getattr(_compat, name)


def _private_sklearn_imports(path):
    """``(line, statement)`` of each import of a private scikit-learn name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            dotted = [node.module + "." + alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            dotted = [alias.name for alias in node.names]
        else:
            continue
        for name in dotted:
            parts = name.split(".")
            if parts[0] == "sklearn" and any(p.startswith("_") for p in parts):
                found.append((node.lineno, ast.unparse(node)))
                break
    return found


def test_private_sklearn_names_only_through_compat():
    package = pathlib.Path(sewlearn.__file__).parent
    offenders = [
        f"{path.relative_to(package.parent)}:{line}: {statement}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "_compat.py"
        for line, statement in _private_sklearn_imports(path)
    ]
    assert not offenders, (
        "Private scikit-learn names are imported from sewlearn._compat only; "
        "move these imports there:\n" + "\n".join(offenders)
    )


def test_every_skorch_override_recorded():
    overridden = {
        name
        for name, value in vars(LossPartsNet).items()
        if callable(value) and not name.startswith("__") and hasattr(NeuralNet, name)
    }
    assert overridden == set(_compat.SKORCH_OVERRIDES), (
        "LossPartsNet overrides these skorch.NeuralNet methods: "
        f"{sorted(overridden)}; SKORCH_OVERRIDES in sewlearn/_compat.py records "
        f"{sorted(_compat.SKORCH_OVERRIDES)}. Record skorch's signature and "
        "code_digest of each (from the installed skorch) and drop the others."
    )


def _recheck(name, what):
    installed, recorded = skorch.__version__, _compat.SKORCH_OVERRIDES_VERSION
    return (
        f"The {what} of NeuralNet.{name} in the installed skorch {installed} "
        f"differs from skorch {recorded}'s, which LossPartsNet.{name} in "
        f"sewlearn/_net.py overrides. Re-check that override against skorch "
        f"{installed}, then update SKORCH_OVERRIDES and SKORCH_OVERRIDES_VERSION "
        "in sewlearn/_compat.py."
    )


@pytest.mark.parametrize("name", sorted(_compat.SKORCH_OVERRIDES))
def test_skorch_signature_unchanged(name):
    recorded = _compat.SKORCH_OVERRIDES[name]["signature"]
    current = str(inspect.signature(getattr(NeuralNet, name)))
    assert current == recorded, (
        _recheck(name, "signature") + f" Recorded {recorded}, now {current}."
    )


@pytest.mark.parametrize("name", sorted(_compat.SKORCH_OVERRIDES))
def test_skorch_code_unchanged(name):
    recorded = _compat.SKORCH_OVERRIDES[name]["code_digest"]
    current = _compat.code_digest(getattr(NeuralNet, name))
    assert current == recorded, (
        _recheck(name, "code") + f" code_digest was {recorded}, now {current}."
    )


def _documented():
    def f(a, b=1):
        """Doc."""
        # A comment.
        return a + b

    return f


def _bare():
    def f(a, b=1):
        return a + b

    return f


def _changed():
    def f(a, b=1):
        return a - b

    return f


def test_code_digest_ignores_docstring_and_comments():
    assert _compat.code_digest(_documented()) == _compat.code_digest(_bare())
    assert _compat.code_digest(_documented()) != _compat.code_digest(_changed())


def test_lowest_constraints_match_lower_bounds():
    """.ci/lowest-constraints.txt pins each declared dependency to its bound."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    bounds = {}
    for line in project["project"]["dependencies"]:
        requirement = Requirement(line)
        lower = [s.version for s in requirement.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{line!r}: declare one lower bound (>=)"
        bounds[requirement.name] = Version(lower[0])
    pins = {}
    text = (ROOT / ".ci" / "lowest-constraints.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = re.sub(r"#.*", "", line).strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{line!r}: pin with =="
            pins[requirement.name] = Version(spec.version)
    tested = {k: v for k, v in bounds.items() if k not in UNTESTED_LOWER_BOUNDS}
    assert pins == tested, (
        "The versions in .ci/lowest-constraints.txt must equal the lower bounds "
        f"in pyproject.toml (except {sorted(UNTESTED_LOWER_BOUNDS)}): "
        f"pins {pins}, bounds {tested}"
    )
