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
import re
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import BinaryIO, NoReturn
from xml.etree.ElementTree import Element, TreeBuilder

from invoicing.domain.documents import ForeignCurrency, OtherTax, Reference
from invoicing.domain.imports import (
    VAT_RETENTION_CODES,
    ImportFormat,
    Location,
    Party,
    Rejection,
    SourceDocument,
    UnreadableFile,
)
from shared.money import split_gross
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
BOLETAS = (39, 41)

_WHOLE = re.compile(r"[0-9]{1,30}")  # too large for its field: said by documents.validate
_DECIMAL = re.compile(r"[0-9]{1,18}(\.[0-9]{1,6})?")

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


def _forbidden(*_args: object) -> NoReturn:
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
        # Builds the DTE being read; a fresh one for the next once it is closed, so no
        # tree outlives its DTE.
        self.builder = TreeBuilder()
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
            self.depth = len(names)
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
            self.builder = TreeBuilder()
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
        found = reader.format  # set with the root, before any DTE is ready
        if found is not None:
            if not announced:
                announced = True
                yield found
            for element, index in reader.ready:
                path = "/DTE" if found is ImportFormat.DTE_XML else \
                    f"/{_ENVELOPES[found]}/SetDTE/DTE[{index}]"
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


def _stripped(element: Element, name: str) -> str:
    """A child's text without its spaces; "" when there is none."""
    child = _child(element, name)
    return "" if child is None else (child.text or "").strip()


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if c.tag == name]


def _at(element: Element | None, path: str) -> Element | None:
    for name in path.split("/"):
        element = _child(element, name)
    return element


class _Fields:
    """Reads a DTE's values, collecting every problem with its XML path."""

    def __init__(self, body: Element, path: str):
        self.body, self.path = body, path
        self.problems: list[str] = []

    def text(self, *paths: str, required: bool = True) -> str | None:
        for path in paths:
            found = _at(self.body, path)
            if found is not None and found.text and found.text.strip():
                return found.text.strip()
        if required:
            self.problems.append(f"missing {self.path}/{paths[0]}")
        return None

    def integer(self, path: str, *, required: bool = True) -> int | None:
        value = self.text(path, required=required)
        if value is None:
            return None
        if not _WHOLE.fullmatch(value):  # not int(): it takes "+5", "５" and "1_000"
            self.problems.append(
                f"{self.path}/{path} is '{value[:40]}', not a whole number ≥ 0 written in "
                "digits 0-9"
            )
            return None
        return int(value)

    def amount(self, path: str) -> int:
        """An amount the DTE may leave out: 0 then (an unreadable one is a problem)."""
        value = self.integer(path, required=False)
        return 0 if value is None else value

    def decimal(self, path: str, *, required: bool = True) -> Decimal | None:
        value = self.text(path, required=required)
        if value is None:
            return None
        if not _DECIMAL.fullmatch(value):
            self.problems.append(
                f"{self.path}/{path} is '{value[:40]}', not an amount ≥ 0 (digits 0-9, "
                "a point before the decimals)"
            )
            return None
        return Decimal(value)

    def day(self, path: str) -> date | None:
        value = self.text(path)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"{self.path}/{path} is '{value}', not a date (YYYY-MM-DD)")
            return None

    def party(self, rut_path: str, *name_paths: str, default_rut: str | None = None
              ) -> Party | None:
        rut = self.text(rut_path, required=default_rut is None) or default_rut
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
    # A boleta to a final consumer may name no receptor (DESIGN.md §6: 66.666.666-6).
    receptor = fields.party("Encabezado/Receptor/RUTRecep", "Encabezado/Receptor/RznSocRecep",
                            default_rut=FINAL_CONSUMER_RUT if dte_type in BOLETAS else None)
    currency = fields.text("Encabezado/Totales/TpoMoneda", required=False)
    foreign = None
    if currency is None or _is_pesos(currency):
        net, exempt, vat, total = _pesos(fields, dte_type)
    else:
        net, exempt, vat, total, foreign = _in_pesos(fields, currency[:30])
    other_taxes, retained = _taxes(fields, _at(body, "Encabezado/Totales"))
    # A constructora's crédito especial (DL 910 art. 21) comes off the total; a deposit
    # for containers is added to it (DESIGN.md §6b).
    credec = fields.amount("Encabezado/Totales/CredEC")
    grntdep = fields.amount("Encabezado/Totales/GrntDep")
    references = _references(body)
    location = Location(xml_path=path)
    # Each of those is None only with a problem said: the checks narrow them for the types.
    if fields.problems or dte_type is None or folio is None or issue_date is None:
        return Rejection(location, "; ".join(fields.problems), dte_type, folio)
    return SourceDocument(
        location=location, dte_type=dte_type, folio=folio, issue_date=issue_date, net=net,
        exempt=exempt, vat=vat, total=total, other_taxes=other_taxes, vat_retained=retained,
        references=references, emisor=emisor, receptor=receptor, foreign_currency=foreign,
        construction_credit=credec, container_deposit=grntdep,
    )


def _is_pesos(currency: str) -> bool:
    return currency.upper().replace(" ", "") in ("PESOCL", "PESOCHILENO", "CLP")


def _pesos(fields: _Fields, dte_type: int | None) -> tuple[int, int, int, int]:
    """Totales in pesos. A boleta's MntTotal includes its IVA and may come alone: the
    neto is then round(afecto / 1.19) and the IVA the rest (DESIGN.md §6)."""
    net = fields.integer("Encabezado/Totales/MntNeto", required=False)
    exempt = fields.integer("Encabezado/Totales/MntExe", required=False)
    vat = fields.integer("Encabezado/Totales/IVA", required=False)
    total = fields.integer("Encabezado/Totales/MntTotal")
    if dte_type in BOLETAS and total is not None:
        if dte_type == 41:
            if exempt is None and vat is None:
                exempt = total - (net or 0)
        elif vat is None:
            if net is None:
                net, vat = split_gross(total - (exempt or 0))
            else:
                vat = total - (exempt or 0) - net
        elif net is None:
            net = total - (exempt or 0) - vat
    return net or 0, exempt or 0, vat or 0, total or 0


def _in_pesos(fields: _Fields, currency: str
              ) -> tuple[int, int, int, int, ForeignCurrency | None]:
    """An export's Totales are in its currency, with decimals; the books need its pesos:
    OtraMoneda (TpoMoneda PESO CL) MntTotOtrMnda, else round(total × TpoCambio)."""
    totales = "Encabezado/Totales"
    foreign = {name: fields.decimal(f"{totales}/{name}", required=name == "MntTotal")
               for name in ("MntNeto", "IVA", "MntTotal")}
    other = "Encabezado/OtraMoneda"
    other_currency = fields.text(f"{other}/TpoMoneda", required=False)
    pesos: dict[str, Decimal | None] = {}
    rate = None
    if other_currency is not None and _is_pesos(other_currency):
        rate = fields.decimal(f"{other}/TpoCambio", required=False)
        pesos = {name: fields.decimal(f"{other}/{name}OtrMnda", required=False)
                 for name in ("MntNeto", "IVA")}
        pesos["MntTotal"] = fields.decimal(f"{other}/MntTotOtrMnda", required=False)
    for name, amount in foreign.items():
        if pesos.get(name) is None and amount is not None and rate is not None:
            pesos[name] = amount * rate
    if foreign["MntTotal"] is None:
        return 0, 0, 0, 0, None
    if pesos.get("MntTotal") is None:
        found = f"OtraMoneda in {other_currency[:30]}" if other_currency else "no OtraMoneda"
        fields.problems.append(
            f"the amounts are in {currency} ({fields.path}/{totales}/TpoMoneda) and the "
            f"document has {found}, so its pesos cannot be known: missing "
            f"{fields.path}/{other}/MntTotOtrMnda or {fields.path}/{other}/TpoCambio with "
            "TpoMoneda PESO CL"
        )
        return 0, 0, 0, 0, None
    net, vat, total = (_round(pesos.get(n)) for n in ("MntNeto", "IVA", "MntTotal"))
    # The exempt part is what the total leaves, so the pesos add up whatever the rounding.
    return net, total - net - vat, vat, total, ForeignCurrency(
        currency=currency, total=foreign["MntTotal"], exchange_rate=rate)


def _round(amount: Decimal | None) -> int:
    return 0 if amount is None else int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


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
        if sub.problems or code is None or amount is None:  # None only with a problem
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
        kind, folio = _stripped(ref, "TpoDocRef"), _stripped(ref, "FolioRef")
        # 801 (orden de compra) and the other codes from 800 up are not tax documents.
        if not (_WHOLE.fullmatch(kind) and _WHOLE.fullmatch(folio) and 1 <= int(kind) < 800
                and 1 <= int(folio) < 10**10):
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
