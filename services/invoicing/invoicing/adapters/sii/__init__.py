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
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from invoicing.adapters.sii import dte_xml, rcv_csv
from invoicing.domain.imports import (
    ImportFormat,
    RcvSection,
    Rejection,
    SourceDocument,
    UnreadableFile,
)

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

UTF16_DETAIL = (
    "The file is UTF-16 text (a spreadsheet's 'Unicode text'); the SII's RCV export is "
    "UTF-8. Nothing was imported: download the RCV again from the SII, or save the file as "
    "'CSV UTF-8' with ';' as separator."
)
RESUMEN_DETAIL = (
    "This is the RCV's resumen (totals per tipo de documento), which names no document, so "
    "there is nothing to import from it. In the SII's Registro de Compras y Ventas, download "
    "the detail instead ('Descargar Detalles'): one row per document."
)

Item = SourceDocument | Rejection


class ParsedFile:
    """A file read to its end: its format, how many documents, and them in batches."""

    def __init__(self, batch_size: int, prepare: Callable[[Item], Any] | None = None):
        self.found: ImportFormat | None = None  # the format, once the reader knows it
        # Set when an RCV export was read key first: its documents are spooled as the
        # reader's keyed tuples, read whole by keyed.document() (and not prepared).
        self.keyed: rcv_csv.KeyedReader | None = None
        self.count = 0
        self._batch_size = batch_size
        self._prepare = prepare
        self._batch: list = []
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115 (closed by close())

    @property
    def format(self) -> ImportFormat:
        """The file's format: known once parse() has returned (it refuses a file without
        one)."""
        if self.found is None:
            raise RuntimeError("a file's format is known only once parse() has read it")
        return self.found

    def add(self, item: Item | tuple) -> None:
        self.count += 1
        self._batch.append(item if self._prepare is None or isinstance(item, tuple)
                           else self._prepare(item))
        if len(self._batch) >= self._batch_size:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            pickle.dump(self._batch, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
            self._batch = []

    def batches(self) -> Iterator[list]:
        """The documents in file order (as prepare made them), batch_size at a time (our
        own spool: trusted)."""
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
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[:200].decode("utf-16", errors="replace")
        if not text.lstrip("\ufeff \r\n\t").startswith("<"):  # UTF-16 XML is expat's
            raise UnreadableFile(UTF16_DETAIL)
        stripped = b"<"
    else:
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
    first_line = stripped.splitlines()[0].decode("utf-8", errors="replace")
    found = rcv_csv.format_of_header(first_line)
    if found is None:
        if "total documentos" in first_line.lower() or "resumen" in first_line.lower():
            raise UnreadableFile(RESUMEN_DETAIL)
        raise UnreadableFile(UNKNOWN_DETAIL)
    return found


def parse(file: BinaryIO, forced: ImportFormat | None = None, *,
          batch_size: int = 1000, section: RcvSection | None = None,
          prepare: Callable[[Item], Any] | None = None, keyed: bool = False) -> ParsedFile:
    """Read the whole file once; raises UnreadableFile (nothing kept) for a file-wide
    problem. ``prepare``, if given, turns each item into what the spool keeps instead.
    ``keyed``: an RCV export's documents are kept key first (ParsedFile.keyed)."""
    kind = detect(file, forced)
    parsed = ParsedFile(batch_size, prepare)
    try:
        if kind is None or kind in XML_FORMATS:
            for item in dte_xml.read(file, kind):
                if isinstance(item, ImportFormat):
                    parsed.found = item
                else:
                    parsed.add(item)
        else:
            parsed.found = kind
            parsed.keyed = rcv_csv.KeyedReader() if keyed else None
            for entry in rcv_csv.read(file, kind, section, parsed.keyed):
                parsed.add(entry)
        if parsed.found in (ImportFormat.ENVIO_DTE, ImportFormat.ENVIO_BOLETA) \
                and not parsed.count:
            root = "EnvioDTE" if parsed.found is ImportFormat.ENVIO_DTE else "EnvioBOLETA"
            raise UnreadableFile(
                f"The {root} holds no DTE in its SetDTE: there is nothing to import. Check "
                "that it is the envelope as sent, with its documents."
            )
    except BaseException:
        parsed.close()
        raise
    return parsed
