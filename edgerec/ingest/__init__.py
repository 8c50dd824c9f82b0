"""Importing files into the event log (readers, dataset adapters, cleaning, quarantine) and exporting it."""

from edgerec.ingest.columns import ColumnMapping
from edgerec.ingest.errors import FormatError
from edgerec.ingest.export import EXPORT_FORMATS, export_events
from edgerec.ingest.formats import FORMATS, Format, detect_format, format_names
from edgerec.ingest.pipeline import ImportReport, import_file

__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "ColumnMapping",
    "Format",
    "FormatError",
    "ImportReport",
    "detect_format",
    "export_events",
    "format_names",
    "import_file",
]
