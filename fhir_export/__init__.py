"""fhir-export: offline export of patient-education health articles to FHIR Bundles.

The library: `export_article(data, name, options)` turns one article's bytes into its validated
Bundle and its bytes per format (see article_export.py); `pipeline.export` does a whole run.
Both are imported on first use, so that `import fhir_export` (and the command line) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .article_export import ArticleExport, export_article
    from .options import BundleType, ExportOptions, OutputFormat

__version__ = "0.1.0"
__all__ = [
    "ArticleExport",
    "BundleType",
    "ExportOptions",
    "OutputFormat",
    "__version__",
    "export_article",
]

_LAZY = {
    "ArticleExport": "article_export",
    "export_article": "article_export",
    "BundleType": "options",
    "ExportOptions": "options",
    "OutputFormat": "options",
}


def __getattr__(name: str) -> Any:
    """The public names, imported from their modules on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value
