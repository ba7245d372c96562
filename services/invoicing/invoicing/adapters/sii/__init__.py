"""SII files behind one small interface: detect the format, check the whole file, read it.

DTE XML is read with defusedxml (streaming, no DTD); the RCV CSV with the standard csv
module (streaming). See dte_xml and rcv_csv for why not cl-sii's parsers.
"""

from collections.abc import Iterator
from typing import BinaryIO

from invoicing.adapters.sii import dte_xml, rcv_csv
from invoicing.domain.imports import ImportFormat, Rejection, SourceDocument, UnreadableFile

XML_FORMATS = frozenset({ImportFormat.DTE_XML, ImportFormat.ENVIO_DTE})
HEAD_BYTES = 8192

UNKNOWN_DETAIL = (
    "Could not tell what the file is: expected a DTE or EnvioDTE XML of the SII, or an RCV "
    "CSV export of the SII whose header has 'RUT Proveedor' (compras) or 'Rut cliente' "
    "(ventas). If it is one of these, say which with ?format=dte-xml|envio-dte|rcv-compras|"
    "rcv-ventas."
)


def detect(file: BinaryIO, forced: ImportFormat | None = None) -> ImportFormat:
    head = file.read(HEAD_BYTES)
    file.seek(0)
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped:
        raise UnreadableFile("The file is empty.")
    is_xml = stripped.startswith(b"<")
    if forced is not None:
        if is_xml != (forced in XML_FORMATS):
            kind = "an XML document" if is_xml else "not XML"
            raise UnreadableFile(f"format={forced} was asked for, but the file is {kind}; "
                                 "leave format out to detect it.")
        return forced
    if is_xml:
        try:
            return dte_xml.root_format(file)
        finally:
            file.seek(0)
    first_line = stripped.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    found = rcv_csv.format_of_header(first_line)
    if found is None:
        raise UnreadableFile(UNKNOWN_DETAIL)
    return found


def read(file: BinaryIO, kind: ImportFormat) -> Iterator[SourceDocument | Rejection]:
    if kind in XML_FORMATS:
        return dte_xml.read(file, kind)
    return rcv_csv.read(file, kind)


def check(file: BinaryIO, kind: ImportFormat) -> int:
    """Go through the whole file so a file-wide problem refuses it before anything is
    imported; how many documents (DTEs or rows) it has."""
    try:
        if kind in XML_FORMATS:
            return sum(1 for _ in dte_xml.read(file, kind))
        return rcv_csv.check(file, kind)
    finally:
        file.seek(0)
