"""Packaging that pyproject.toml cannot say: the repository's gate_checks/ is the wheel's default gate.

The default gate is kept once, in ``gate_checks/`` (where the repository runs it from); the wheel
carries it as ``pytest_gate/profiles/default`` so ``gate-init`` can write it into a project. Every
other profile lives in ``pytest_gate/profiles/<name>/`` and is found with the rest of the package.
"""

from setuptools import find_packages, setup

DEFAULT_PROFILE = "pytest_gate.profiles.default"

setup(
    packages=[*find_packages(include=["pytest_gate", "pytest_gate.*"]), DEFAULT_PROFILE],
    package_dir={DEFAULT_PROFILE: "gate_checks"},
)
