"""SII files behind one small interface: detect the format, read the whole file once.

A file is read to its end before anything of it is imported, so a file-wide problem (a
hostile or malformed file, one refused whole) imports nothing; what it yields on the way
is kept in a spool (in memory while small, then on disk), so the file is parsed once and
memory stays bounded whatever its size. DTE XML is read with expat, streaming and
refusing any DTD; the RCV CSV with the standard csv module. See dte_xml and rcv_csv for
why not cl-sii's parsers.
"""

import pickle
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from invoicing.adapters.sii import dte_xml, rcv_csv
from invoicing.domain.imports import ImportFormat, Rejection, SourceDocument, UnreadableFile

XML_FORMATS = frozenset({ImportFormat.DTE_XML, ImportFormat.ENVIO_DTE,
                         ImportFormat.ENVIO_BOLETA})
HEAD_BYTES = 8192
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024

UNKNOWN_DETAIL = (
    "Could not tell what the file is: expected a DTE, EnvioDTE or EnvioBOLETA XML of the "
    "SII, or an RCV CSV export of the SII whose header has 'RUT Proveedor' (compras) or "
    "'Rut cliente' (ventas). If it is one of these, say which with ?format=dte-xml|"
    "envio-dte|envio-boleta|rcv-compras|rcv-ventas."
)

Item = SourceDocument | Rejection


class ParsedFile:
    """A file read to its end: its format, how many documents, and them in batches."""

    def __init__(self, batch_size: int):
        self.format: ImportFormat | None = None
        self.count = 0
        self._batch_size = batch_size
        self._batch: list[Item] = []
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115 (closed by close())

    def add(self, item: Item) -> None:
        self.count += 1
        self._batch.append(item)
        if len(self._batch) >= self._batch_size:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            pickle.dump(self._batch, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
            self._batch = []

    def batches(self) -> Iterator[list[Item]]:
        """The documents in file order, batch_size at a time (our own spool: trusted)."""
        self._flush()
        self._spool.seek(0)
        while True:
            try:
                yield pickle.load(self._spool)  # noqa: S301
            except EOFError:
                return

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> "ParsedFile":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def detect(file: BinaryIO, forced: ImportFormat | None = None) -> ImportFormat | None:
    """The format, or None for an XML file (its root element says which, when read)."""
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
        return None
    first_line = stripped.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    found = rcv_csv.format_of_header(first_line)
    if found is None:
        raise UnreadableFile(UNKNOWN_DETAIL)
    return found


def parse(file: BinaryIO, forced: ImportFormat | None = None, *,
          batch_size: int = 1000) -> ParsedFile:
    """Read the whole file once; raises UnreadableFile (nothing kept) for a file-wide
    problem."""
    kind = detect(file, forced)
    parsed = ParsedFile(batch_size)
    try:
        if kind is None or kind in XML_FORMATS:
            for item in dte_xml.read(file, kind):
                if isinstance(item, ImportFormat):
                    parsed.format = item
                else:
                    parsed.add(item)
        else:
            parsed.format = kind
            for item in rcv_csv.read(file, kind):
                parsed.add(item)
    except BaseException:
        parsed.close()
        raise
    return parsed
