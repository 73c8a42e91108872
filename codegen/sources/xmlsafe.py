"""Safe lxml parsing for the standard's files.

The standard's files are trusted in content but not in size or shape: PS3.3 DocBook is 30+ MB,
XHTML pages declare an external DTD, and third-party excerpts repeat ``xml:id`` s. The parser
therefore never touches the network, never loads a DTD, never expands entities, accepts huge
trees and does not insist on unique ids.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree


class SourceError(Exception):
    """A source file could not be read; the message names the file (and table, when known)."""


_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\\[]*>")


class _NoExternalResources(etree.Resolver):
    """Answers every request for an external resource with nothing.

    ``load_dtd=False`` and ``no_network`` do not stop libxml2 from reading a local file named
    by an external parameter entity in an internal DTD subset (``<!ENTITY % x SYSTEM
    "file:///…"> %x;``); with this resolver no file or URL is ever opened while parsing.
    """

    def resolve(self, system_url, public_id, context):  # type: ignore[no-untyped-def]
        return self.resolve_string("", context)


def make_parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        collect_ids=False,
        remove_comments=True,
        remove_pis=True,
    )
    parser.resolvers.add(_NoExternalResources())
    return parser


def parse_file(path: Path) -> etree._Element:
    """Parse one XML file; a missing or malformed file raises :class:`SourceError`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    # A DOCTYPE (the XHTML pages declare one) is dropped before parsing: with collect_ids off,
    # libxml2 would otherwise try to fetch the external DTD. Only a prolog DOCTYPE without an
    # internal subset is removed; nothing in the standard's files uses internal subsets.
    data = _DOCTYPE.sub(b"", data[:4096], count=1) + data[4096:]
    try:
        return etree.fromstring(data, make_parser())
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{path}: not well-formed XML ({exc})") from None
