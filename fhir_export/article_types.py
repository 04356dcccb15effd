"""The article file types fhir-export reads, by suffix.

A module without imports, so that the command line can name them (in `export --help`)
without loading the readers; sources/ checks on import that its readers cover exactly these.
"""

from __future__ import annotations

TEXT_SUFFIXES = (".htm", ".html", ".markdown", ".md", ".text", ".txt", ".xhtml")
BINARY_SUFFIXES = (".docx", ".pdf", ".xml")  # read from their bytes, not from decoded text
SUFFIXES = tuple(sorted({*TEXT_SUFFIXES, *BINARY_SUFFIXES}))
