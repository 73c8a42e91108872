"""iodkit: the DICOM standard turned into Python.

* ``iodkit.generated`` — typed builders for every IOD, module and macro, generated from an
  edition of the standard (never edited by hand);
* ``iodkit.codegen`` — the generator: standard XML → spec → Jinja templates → code;
* this package — the thin runtime: pixels and frames, validation, high-level objects, CLI.

Importing ``iodkit`` is cheap: builders and codecs load on first use.
"""

__version__ = "0.1.0"
