"""DTE, EnvioDTE and EnvioBOLETA XML (namespace http://www.sii.cl/SiiDte), read safely,
streamed and parsed once.

The parser is expat, fed 64 KiB at a time, with what defusedxml does to it: any DTD
(<!DOCTYPE>) or entity declaration is refused, so external entities and entity expansion
("billion laughs") never run. On top of that, sizes are bounded before they cost
anything: depth, elements per DTE and outside them, the text of one element, and the
bytes of one tag (its attributes), comment or processing instruction. The last matters
because expat (2.5 here) parses again from its start a token that is still incomplete
each time data is fed, so one 16 MiB attribute costs quadratic time; we see how many
bytes expat holds unparsed after each chunk and refuse the file once that is beyond any
SII document's. Only the DTE being read is built as a tree, and dropped once read.
"""

import pyexpat
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO
from xml.etree.ElementTree import Element, TreeBuilder

from invoicing.domain.documents import OtherTax, Reference
from invoicing.domain.imports import (
    VAT_RETENTION_CODES,
    ImportFormat,
    Location,
    Party,
    Rejection,
    SourceDocument,
    UnreadableFile,
)
from shared.rut import FINAL_CONSUMER_RUT, InvalidRut, canonical_rut

SII_NAMESPACE = "http://www.sii.cl/SiiDte"
CHUNK_BYTES = 64 * 1024
MAX_DEPTH = 40
MAX_ELEMENTS_PER_DTE = 20_000  # the schema allows 60 detail lines, 40 references…
MAX_ELEMENTS_OUTSIDE_DTES = 10_000
# No SII tag, attribute or comment comes near these; a signature's certificate, the
# longest text of a DTE, is a few KiB.
MAX_MARKUP_BYTES = 256 * 1024
MAX_TEXT_CHARS = 1024 * 1024
NAME_LENGTH = 200

_ROOTS = {"DTE": ImportFormat.DTE_XML, "EnvioDTE": ImportFormat.ENVIO_DTE,
          "EnvioBOLETA": ImportFormat.ENVIO_BOLETA}
_BODIES = ("Documento", "Exportaciones", "Liquidacion")

FORBIDDEN_DETAIL = (
    "The XML declares a DTD or entities (<!DOCTYPE …> / <!ENTITY …>). SII documents never "
    "do, and such declarations are how external-entity and entity-expansion ('billion "
    "laughs') attacks work, so the file was refused and nothing was imported. Export the "
    "DTE again from its issuer's system, without a DOCTYPE."
)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _forbidden(*_args: object) -> None:
    raise UnreadableFile(FORBIDDEN_DETAIL)


def _format_of(name: str) -> ImportFormat:
    if name not in _ROOTS:
        raise UnreadableFile(
            f"The XML's root element is <{name}>; expected <DTE> (one document), "
            f"<EnvioDTE> or <EnvioBOLETA> (a set of documents) of the SII schema "
            f"({SII_NAMESPACE})."
        )
    return _ROOTS[name]


class _Reader:
    """Expat's callbacks: track where we are, build each DTE's tree, bound everything."""

    def __init__(self, expected: ImportFormat | None):
        self.expected = expected
        self.format: ImportFormat | None = None
        self.names: list[str] = []  # local names of the open elements outside DTEs
        self.builder: TreeBuilder | None = None  # while inside a DTE
        self.locals: dict[str, str] = {}  # {namespace}name → name, inside DTEs
        self.depth = self.dte_index = self.elements = self.outside = self.text = 0
        self.ready: list[tuple[Element, int]] = []  # DTEs read, not yet handed out
        parser = self.parser = pyexpat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _forbidden
        parser.EntityDeclHandler = _forbidden
        parser.UnparsedEntityDeclHandler = _forbidden
        parser.ExternalEntityRefHandler = _forbidden
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._data

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        names, name = self.names, _local(tag)
        names.append(name)
        self.text = 0
        if len(names) == 1:
            self._root(name)
        if name == "DTE" and (len(names) == 1 or (len(names) == 3 and names[1] == "SetDTE")):
            self.builder, self.depth = TreeBuilder(), len(names)
            self.dte_index, self.elements = self.dte_index + 1, 0
            self.builder.start(name, attributes)
            # Inside a DTE, handlers that only build its tree (most of the file's events).
            parser = self.parser
            parser.StartElementHandler = self._start_in_dte
            parser.EndElementHandler = self._end_in_dte
            parser.CharacterDataHandler = self._data_in_dte
            return
        self.outside += 1
        if self.outside > MAX_ELEMENTS_OUTSIDE_DTES:
            raise UnreadableFile(
                f"The XML has more than {MAX_ELEMENTS_OUTSIDE_DTES} elements outside "
                "its DTEs, which no SII file has; nothing was imported."
            )
        if len(names) > MAX_DEPTH:
            self._too_deep()

    def _too_deep(self) -> None:
        raise UnreadableFile(
            f"The XML nests elements more than {MAX_DEPTH} deep, which no DTE does; "
            "the file was refused and nothing was imported."
        )

    def _root(self, name: str) -> None:
        found = _format_of(name)
        if self.expected is not None and found is not self.expected:
            raise UnreadableFile(
                f"format={self.expected} was asked for, but the file is a {found} "
                f"(root <{name}>): leave format out to detect it."
            )
        self.format = found

    def _end(self, _tag: str) -> None:
        self.names.pop()
        self.text = 0

    def _data(self, text: str) -> None:
        self.text += len(text)
        if self.text > MAX_TEXT_CHARS:
            self._too_much_text()

    def _too_much_text(self) -> None:
        raise UnreadableFile(
            f"The XML has a text of more than {MAX_TEXT_CHARS:,} characters in one element "
            f"(line {self.parser.CurrentLineNumber}), which no SII document has; the file "
            "was refused and nothing was imported."
        )

    def _start_in_dte(self, tag: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        self.elements += 1
        self.text = 0
        if self.elements > MAX_ELEMENTS_PER_DTE:
            raise UnreadableFile(
                f"DTE number {self.dte_index} has more than {MAX_ELEMENTS_PER_DTE} XML "
                "elements, far beyond what the SII schema allows; the file was "
                "refused and nothing was imported."
            )
        if self.depth > MAX_DEPTH:
            self._too_deep()
        # The tree holds local names: the DTE's fields are then found by plain equality.
        name = self.locals.get(tag)
        if name is None:
            name = self.locals[tag] = _local(tag)
        self.builder.start(name, attributes)

    def _end_in_dte(self, tag: str) -> None:
        self.text = 0
        if self.depth == len(self.names):
            self.builder.end("DTE")
            self.ready.append((self.builder.close(), self.dte_index))
            self.builder = None
            self.names.pop()
            parser = self.parser
            parser.StartElementHandler = self._start
            parser.EndElementHandler = self._end
            parser.CharacterDataHandler = self._data
            return
        self.depth -= 1
        self.builder.end(self.locals[tag])

    def _data_in_dte(self, text: str) -> None:
        self.text += len(text)
        if self.text > MAX_TEXT_CHARS:
            self._too_much_text()
        self.builder.data(text)

    def feed(self, data: bytes, final: bool) -> None:
        try:
            self.parser.Parse(data, final)
        except pyexpat.ExpatError as error:
            raise UnreadableFile(
                f"The file is not well-formed XML ({pyexpat.ErrorString(error.code)} at "
                f"line {error.lineno}, column {error.offset + 1}); nothing was imported. "
                "Check that it is the complete DTE or EnvioDTE XML as the issuer sent it."
            ) from None

    def check_pending(self, fed: int) -> None:
        """Refuse a tag, comment or processing instruction that is still open after
        MAX_MARKUP_BYTES: expat re-reads it whole on every chunk."""
        start = max(self.parser.CurrentByteIndex, 0)  # where the unfinished token starts
        if fed - start > MAX_MARKUP_BYTES:
            raise UnreadableFile(
                f"The XML has a tag (with its attributes), comment or processing "
                f"instruction of more than {MAX_MARKUP_BYTES // 1024} KiB, starting at "
                f"line {self.parser.CurrentLineNumber}, column "
                f"{self.parser.CurrentColumnNumber + 1}; no SII document has one that "
                "long, so the file was refused and nothing was imported."
            )


def read(file: BinaryIO, expected: ImportFormat | None = None
         ) -> Iterator[ImportFormat | SourceDocument | Rejection]:
    """The file's format (first, once its root is read), then every DTE in order;
    raises UnreadableFile for a file-wide problem."""
    reader = _Reader(expected)
    fed, announced = 0, False
    while True:
        chunk = file.read(CHUNK_BYTES)
        reader.feed(chunk, final=not chunk)
        fed += len(chunk)
        if chunk:
            reader.check_pending(fed)
        if reader.format is not None and not announced:
            announced = True
            yield reader.format
        for element, index in reader.ready:
            path = "/DTE" if reader.format is ImportFormat.DTE_XML else \
                f"/{_ENVELOPES[reader.format]}/SetDTE/DTE[{index}]"
            yield _document(element, path)
        reader.ready.clear()
        if not chunk:
            break
    if reader.format is None:
        raise UnreadableFile("The XML file has no root element.")


_ENVELOPES = {ImportFormat.ENVIO_DTE: "EnvioDTE", ImportFormat.ENVIO_BOLETA: "EnvioBOLETA"}


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    for child in element:
        if child.tag == name:
            return child
    return None


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if c.tag == name]


def _at(element: Element | None, path: str) -> Element | None:
    for name in path.split("/"):
        element = _child(element, name)
    return element


class _Fields:
    """Reads a DTE's values, collecting every problem with its XML path."""

    def __init__(self, body: Element, path: str):
        self.body, self.path, self.problems = body, path, []

    def text(self, *paths: str, required: bool = True) -> str | None:
        for path in paths:
            found = _at(self.body, path)
            if found is not None and found.text and found.text.strip():
                return found.text.strip()
        if required:
            self.problems.append(f"missing {self.path}/{paths[0]}")
        return None

    def integer(self, path: str, *, required: bool = True, default: int | None = None
                ) -> int | None:
        value = self.text(path, required=required)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number < 0:
            self.problems.append(
                f"{self.path}/{path} is '{value}', not a whole number ≥ 0 (whole pesos)"
            )
            return default
        return number

    def day(self, path: str) -> date | None:
        value = self.text(path)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"{self.path}/{path} is '{value}', not a date (YYYY-MM-DD)")
            return None

    def party(self, rut_path: str, *name_paths: str) -> Party | None:
        rut = self.text(rut_path)
        canonical = None
        if rut is not None:
            try:
                canonical = canonical_rut(rut)
            except InvalidRut as error:
                self.problems.append(f"{self.path}/{rut_path}: {error}")
        required = canonical != FINAL_CONSUMER_RUT
        name = self.text(*name_paths, required=required) or "Consumidor final"
        return Party(canonical, name[:NAME_LENGTH]) if canonical else None


def _document(dte: Element, path: str) -> SourceDocument | Rejection:
    body = next((c for c in dte if c.tag in _BODIES), None)
    if body is None:
        return Rejection(Location(xml_path=path), f"missing {path}/Documento")
    fields = _Fields(body, f"{path}/{body.tag}")
    dte_type = fields.integer("Encabezado/IdDoc/TipoDTE")
    folio = fields.integer("Encabezado/IdDoc/Folio")
    issue_date = fields.day("Encabezado/IdDoc/FchEmis")
    emisor = fields.party("Encabezado/Emisor/RUTEmisor", "Encabezado/Emisor/RznSoc",
                          "Encabezado/Emisor/RznSocEmisor")
    receptor = fields.party("Encabezado/Receptor/RUTRecep", "Encabezado/Receptor/RznSocRecep")
    net = fields.integer("Encabezado/Totales/MntNeto", required=False, default=0)
    exempt = fields.integer("Encabezado/Totales/MntExe", required=False, default=0)
    vat = fields.integer("Encabezado/Totales/IVA", required=False, default=0)
    total = fields.integer("Encabezado/Totales/MntTotal")
    other_taxes, retained = _taxes(fields, _at(body, "Encabezado/Totales"))
    references = _references(body)
    location = Location(xml_path=path)
    if fields.problems:
        return Rejection(location, "; ".join(fields.problems), dte_type, folio)
    return SourceDocument(
        location=location, dte_type=dte_type, folio=folio, issue_date=issue_date, net=net,
        exempt=exempt, vat=vat, total=total, other_taxes=other_taxes, vat_retained=retained,
        references=references, emisor=emisor, receptor=receptor,
    )


def _taxes(fields: _Fields, totales: Element | None) -> tuple[tuple[OtherTax, ...], int]:
    taxes: list[OtherTax] = []
    retained = 0
    for i, tax in enumerate(_children(totales, "ImptoReten"), start=1):
        sub = _Fields(tax, f"{fields.path}/Encabezado/Totales/ImptoReten[{i}]")
        code = sub.integer("TipoImp")
        amount = sub.integer("MontoImp")
        rate_text = sub.text("TasaImp", required=False)
        rate = None
        if rate_text is not None:
            try:
                rate = float(rate_text)
            except ValueError:
                sub.problems.append(f"{sub.path}/TasaImp is '{rate_text}', not a percentage")
        fields.problems.extend(sub.problems)
        if sub.problems:
            continue
        if code in VAT_RETENTION_CODES:
            retained += amount
        else:
            taxes.append(OtherTax(code=code, amount=amount, rate=rate))
    return tuple(taxes), retained


def _references(body: Element) -> tuple[Reference, ...]:
    """References to other tax documents; others (purchase orders with letters…) are skipped."""
    references = []
    for ref in _children(body, "Referencia"):
        kind = (_child(ref, "TpoDocRef").text or "").strip() if _child(ref, "TpoDocRef") \
            is not None else ""
        folio = (_child(ref, "FolioRef").text or "").strip() if _child(ref, "FolioRef") \
            is not None else ""
        if not (kind.isdigit() and folio.isdigit() and 1 <= int(kind) <= 999
                and int(folio) >= 1):
            continue
        fields = _Fields(ref, "")
        issued = fields.text("FchRef", required=False)
        code = fields.text("CodRef", required=False)
        reason = fields.text("RazonRef", required=False)
        try:
            issue_date = date.fromisoformat(issued) if issued else None
        except ValueError:
            issue_date = None
        references.append(Reference(
            dte_type=int(kind), folio=int(folio), issue_date=issue_date,
            code=int(code) if code in ("1", "2", "3") else None,
            reason=reason[:200] if reason else None,
        ))
    return tuple(references)
