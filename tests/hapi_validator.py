"""Run the HAPI FHIR instance validator (tests/hapi-validator, the HL7 validator core, offline)
on files (test helper, not shipped). Built by `scripts/build_hapi.sh`; without Java or the jar
the calling test skips, or fails under CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JAR = ROOT / "tests" / "hapi-validator" / "target" / "hapi-validator-1.jar"


def hapi_validate(release: str, files: list[Path]) -> list[list[str]]:
    """One [file, severity, location, message] per message, for every file in one JVM.
    Questionnaires in the files are loaded first, so QuestionnaireResponses among them are
    checked against their forms."""
    if not JAR.exists() or shutil.which("java") is None:
        reason = "HAPI validator not built: run scripts/build_hapi.sh (needs Java, mvn)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    done = subprocess.run(["java", "-jar", str(JAR), release, *map(str, files)],
                          capture_output=True, text=True, timeout=600, check=True)
    return [line.split("\t") for line in done.stdout.splitlines() if line.strip()]
