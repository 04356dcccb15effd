"""Speed and scale (issue #12): a light command line, the library function, --jobs.

Nothing here is timed: the figures are benchmarks/export_speed.py's job. These tests pin what
makes the speed safe: the command line imports nothing heavy until a command needs it.
"""

from __future__ import annotations

import json
import subprocess
import sys

# what `import fhir_export.cli` must not load: the FHIR models, lxml, the readers' libraries,
# the lexicon, the validator; each command imports them in its body
HEAVY = (
    "fhir.resources",
    "fhir_core",
    "pydantic",
    "lxml",
    "pypdfium2",
    "mammoth",
    "resiliparse",
    "fhirpathpy",
    "fhir_export.pipeline",
    "fhir_export.sources",
    "fhir_export.terminology",
    "fhir_export.validation",
)


def test_importing_the_cli_loads_nothing_heavy() -> None:
    code = (
        "import json, sys; import fhir_export.cli; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted({h.split('.')[0] for h in HEAVY})!r} and any(m == h or m.startswith(h + '.') "
        f"for h in {list(HEAVY)!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
    assert "fhir.resources" in HEAVY  # the module the test is about is in the list
