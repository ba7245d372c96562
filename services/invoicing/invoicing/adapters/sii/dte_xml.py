"""DTE and EnvioDTE XML (namespace http://www.sii.cl/SiiDte), read safely and streamed.

defusedxml's expat parser refuses any DTD, so external entities and entity expansion
("billion laughs") never run; depth and element counts are bounded so a file cannot
build a huge tree either. Each DTE is dropped from memory once read.
"""

from collections.abc import Iterator
from datetime import date
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import iterparse

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
MAX_DEPTH = 40
MAX_ELEMENTS_PER_DTE = 20_000  # the schema allows 60 detail lines, 40 references…
MAX_ELEMENTS_OUTSIDE_DTES = 10_000
NAME_LENGTH = 200

_ROOTS = {"DTE": ImportFormat.DTE_XML, "EnvioDTE": ImportFormat.ENVIO_DTE}
_BODIES = ("Documento", "Exportaciones", "Liquidacion")

FORBIDDEN_DETAIL = (
    "The XML declares a DTD or entities (<!DOCTYPE …> / <!ENTITY …>). SII documents never "
    "do, and such declarations are how external-entity and entity-expansion ('billion "
    "laughs') attacks work, so the file was refused and nothing was imported. Export the "
    "DTE again from its issuer's system, without a DOCTYPE."
)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _events(file: BinaryIO) -> Iterator[tuple[str, Element]]:
    try:
        yield from iterparse(file, events=("start", "end"), forbid_dtd=True,
                             forbid_entities=True, forbid_external=True)
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden,
            defusedxml.ExternalReferenceForbidden):
        raise UnreadableFile(FORBIDDEN_DETAIL) from None
    except ParseError as error:
        line, column = error.position
        reason = str(error).rsplit(": line", 1)[0]
        raise UnreadableFile(
            f"The file is not well-formed XML ({reason} at line {line}, "
            f"column {column + 1}); nothing was imported. Check that it is the complete DTE "
            "or EnvioDTE XML as the issuer sent it."
        ) from None


def root_format(file: BinaryIO) -> ImportFormat:
    """DTE or EnvioDTE, from the root element; raises UnreadableFile otherwise."""
    for _event, element in _events(file):
        return _format_of(element)
    raise UnreadableFile("The XML file is empty.")


def _format_of(root: Element) -> ImportFormat:
    name = _local(root.tag)
    if name not in _ROOTS:
        raise UnreadableFile(
            f"The XML's root element is <{name}>; expected <DTE> (one document) or "
            f"<EnvioDTE> (a set of documents) of the SII schema ({SII_NAMESPACE})."
        )
    return _ROOTS[name]


def read(file: BinaryIO, expected: ImportFormat) -> Iterator[SourceDocument | Rejection]:
    """Every DTE in the file, in order; raises UnreadableFile for a file-wide problem."""
    stack: list[Element] = []
    dte: Element | None = None
    dte_index = elements = outside = 0
    for event, element in _events(file):
        if event == "start":
            stack.append(element)
            if len(stack) > MAX_DEPTH:
                raise UnreadableFile(
                    f"The XML nests elements more than {MAX_DEPTH} deep, which no DTE does; "
                    "the file was refused and nothing was imported."
                )
            if len(stack) == 1:
                found = _format_of(element)
                if found is not expected:
                    raise UnreadableFile(
                        f"format={expected} was asked for, but the file is a {found} "
                        f"(root <{_local(element.tag)}>): leave format out to detect it."
                    )
            if dte is not None:
                elements += 1
                if elements > MAX_ELEMENTS_PER_DTE:
                    raise UnreadableFile(
                        f"DTE number {dte_index} has more than {MAX_ELEMENTS_PER_DTE} XML "
                        "elements, far beyond what the SII schema allows; the file was "
                        "refused and nothing was imported."
                    )
            elif _is_dte(stack):
                dte, dte_index, elements = element, dte_index + 1, 0
            else:
                outside += 1
                if outside > MAX_ELEMENTS_OUTSIDE_DTES:
                    raise UnreadableFile(
                        f"The XML has more than {MAX_ELEMENTS_OUTSIDE_DTES} elements outside "
                        "its DTEs, which no SII file has; nothing was imported."
                    )
            continue
        stack.pop()
        if element is dte:
            path = "/DTE" if expected is ImportFormat.DTE_XML else \
                f"/EnvioDTE/SetDTE/DTE[{dte_index}]"
            yield _document(element, path)
            element.clear()
            if stack:
                stack[-1].remove(element)
            dte = None


def _is_dte(stack: list[Element]) -> bool:
    names = [_local(e.tag) for e in stack]
    return names == ["DTE"] or names == ["EnvioDTE", "SetDTE", "DTE"]


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if _local(c.tag) == name]


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
    body = next((c for c in dte if _local(c.tag) in _BODIES), None)
    if body is None:
        return Rejection(Location(xml_path=path), f"missing {path}/Documento")
    fields = _Fields(body, f"{path}/{_local(body.tag)}")
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
