"""The SII's Registro de Compras y Ventas (RCV) CSV export, streamed row by row.

The column names are the SII's, as cl-sii 0.79 encodes them in
``cl_sii.rcv.parse_csv`` (a unit test keeps the two in step). Columns are found by
name, so a column the SII adds later is ignored rather than breaking the import.

An RCV lists a document's further additional taxes on rows of their own right after
it (no Nro, Fecha Recepcion or Monto Total): those rows are folded into the document.
"""

import csv
import functools
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from operator import itemgetter
from typing import BinaryIO, Protocol

from invoicing.domain.documents import (
    NOTES,
    Direction,
    OtherTax,
    Reference,
    VatBreakdown,
    issued_by_buyer,
)
from invoicing.domain.imports import (
    NUL_MARK,
    SECTION_REASONS,
    ImportFormat,
    Location,
    Party,
    RcvSection,
    Rejection,
    SourceDocument,
    UnreadableFile,
)
from shared.rut import InvalidRut, canonical_rut

DELIMITER = ";"
NAME_LENGTH = 200
CHUNK_BYTES = 64 * 1024
_WHOLE_DIGITS = 30  # longer is no amount; too large for its field: said by documents.validate

COMPRAS_HEADER = (
    "Nro", "Tipo Doc", "Tipo Compra", "RUT Proveedor", "Razon Social", "Folio", "Fecha Docto",
    "Fecha Recepcion", "Fecha Acuse", "Monto Exento", "Monto Neto", "Monto IVA Recuperable",
    "Monto Iva No Recuperable", "Codigo IVA No Rec.", "Monto Total", "Monto Neto Activo Fijo",
    "IVA Activo Fijo", "IVA uso Comun", "Impto. Sin Derecho a Credito", "IVA No Retenido",
    "Tabacos Puros", "Tabacos Cigarrillos", "Tabacos Elaborados",
    "NCE o NDE sobre Fact. de Compra", "Codigo Otro Impuesto", "Valor Otro Impuesto",
    "Tasa Otro Impuesto",
)

VENTAS_HEADER = (
    "Nro", "Tipo Doc", "Tipo Venta", "Rut cliente", "Razon Social", "Folio", "Fecha Docto",
    "Fecha Recepcion", "Fecha Acuse Recibo", "Fecha Reclamo", "Monto Exento", "Monto Neto",
    "Monto IVA", "Monto total", "IVA Retenido Total", "IVA Retenido Parcial",
    "IVA no retenido", "IVA propio", "IVA Terceros", "RUT Emisor Liquid. Factura",
    "Neto Comision Liquid. Factura", "Exento Comision Liquid. Factura",
    "IVA Comision Liquid. Factura", "IVA fuera de plazo", "Tipo Docto. Referencia",
    "Folio Docto. Referencia", "Num. Ident. Receptor Extranjero",
    "Nacionalidad Receptor Extranjero", "Credito empresa constructora",
    "Impto. Zona Franca (Ley 18211)", "Garantia Dep. Envases", "Indicador Venta sin Costo",
    "Indicador Servicio Periodico", "Monto No facturable", "Total Monto Periodo",
    "Venta Pasajes Transporte Nacional", "Venta Pasajes Transporte Internacional",
    "Numero Interno", "Codigo Sucursal", "NCE o NDE sobre Fact. de Compra", "Codigo Otro Imp.",
    "Valor Otro Imp.", "Tasa Otro Imp.",
)

# Every column name the reader may ask a row for (a lookup of another is a bug here).
_READ_COLUMNS = frozenset(COMPRAS_HEADER) | frozenset(VENTAS_HEADER)


class _Columns:
    """Which columns of each kind of export this importer reads."""

    def __init__(self, header: tuple[str, ...], rut: str, total: str, vat: tuple[str, ...],
                 retained: tuple[str, ...], tax: tuple[str, str, str],
                 reference: tuple[str, str] | None, direction: Direction,
                 optional_vat: tuple[str, ...] = ()):
        self.header, self.rut, self.total, self.vat = header, rut, total, vat
        self.retained, self.tax, self.reference, self.direction = (
            retained, tax, reference, direction)
        self.required = ("Tipo Doc", rut, "Razon Social", "Folio", "Fecha Docto",
                         "Monto Exento", "Monto Neto", *vat, total)
        # IVA de uso común is IVA on purchases only partly creditable: part of the IVA all
        # the same.
        self.all_vat = (*vat, *optional_vat)


COLUMNS = {
    ImportFormat.RCV_COMPRAS: _Columns(
        COMPRAS_HEADER, "RUT Proveedor", "Monto Total",
        vat=("Monto IVA Recuperable", "Monto Iva No Recuperable"), retained=(),
        tax=("Codigo Otro Impuesto", "Valor Otro Impuesto", "Tasa Otro Impuesto"),
        reference=None, direction=Direction.PURCHASES, optional_vat=("IVA uso Comun",)),
    ImportFormat.RCV_VENTAS: _Columns(
        VENTAS_HEADER, "Rut cliente", "Monto total", vat=("Monto IVA",),
        retained=("IVA Retenido Total", "IVA Retenido Parcial"),
        tax=("Codigo Otro Imp.", "Valor Otro Imp.", "Tasa Otro Imp."),
        reference=("Tipo Docto. Referencia", "Folio Docto. Referencia"),
        direction=Direction.SALES),
}


def format_of_header(first_line: str) -> ImportFormat | None:
    # By substring, so a file with the wrong separator is still recognised (and then
    # refused saying so).
    if "RUT Proveedor" in first_line:
        return ImportFormat.RCV_COMPRAS
    if "Rut cliente" in first_line:
        return ImportFormat.RCV_VENTAS
    return None


def _expected_text(kind: ImportFormat) -> str:
    return DELIMITER.join(COLUMNS[kind].header)


def _raw_lines(file: BinaryIO) -> Iterator[bytes]:
    """Lines ending in CRLF, LF or a lone CR (old Mac spreadsheets), read in chunks."""
    rest = b""
    while chunk := file.read(CHUNK_BYTES):
        lines = (rest + chunk).splitlines(keepends=True)
        rest = lines.pop()  # maybe incomplete, or a CR whose LF is in the next chunk
        yield from lines
    if rest:
        yield rest


def _lines(file: BinaryIO) -> Iterator[str]:
    """The file's lines as text, decoded one by one so an error names its line."""
    for number, raw in enumerate(_raw_lines(file), start=1):
        if b"\0" in raw:  # the csv module refuses a whole line for it: rejected per row
            raw = raw.replace(b"\0", NUL_MARK.encode())
        try:
            # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a BOM; the SII's does not.
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                f"The file is not UTF-8 text (byte 0x{raw[error.start]:02x} on line {number}, "
                f"column {error.start + 1}), as the SII's RCV export is; nothing was imported. "
                "Download the RCV again from the SII, or if you edited it in a spreadsheet, "
                "save it as 'CSV UTF-8'."
            ) from None


class _CsvReader(Protocol):
    """What is used of a csv.reader (its class cannot be imported: it is _csv's own)."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


@functools.lru_cache(maxsize=4096)
def _day(value: str) -> date | None:
    """Cached: a month's RCV has a few dozen distinct dates, and strptime is slow."""
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _header(reader: _CsvReader, kind: ImportFormat) -> dict[str, int]:
    columns = COLUMNS[kind]
    first = next(reader, None)
    if first is None:
        raise UnreadableFile(f"The file is empty; expected an RCV {kind.value[4:]} export "
                             f"whose first line is its header: {_expected_text(kind)}")
    names = [name.strip() for name in first]
    if len(names) == 1 and any(sep in names[0] for sep in (",", "\t", "|")):
        found = next(sep for sep in (",", "\t", "|") if sep in names[0])
        raise UnreadableFile(
            f"The columns are separated by {found!r}, but the SII's RCV export separates them "
            f"with ';'. Download the RCV again from the SII, or save the file with ';' as "
            f"separator; the expected header is: {_expected_text(kind)}"
        )
    missing = [name for name in columns.required if name not in names]
    if missing:
        raise UnreadableFile(
            f"The header is not the SII's RCV {kind.value[4:]} export: missing column(s) "
            f"{', '.join(repr(m) for m in missing)}. The expected header is: "
            f"{_expected_text(kind)}",
            missing_columns=missing,
        )
    return {name: i for i, name in enumerate(names)}


def section_of(index: dict[str, int]) -> RcvSection:
    """Which RCV compras file, from its columns (DESIGN.md §11)."""
    if "Fecha Reclamo" in index:
        return RcvSection.RECLAMADOS
    if "Fecha Acuse" not in index:
        return RcvSection.PENDIENTES
    if "Tabacos Puros" not in index:
        return RcvSection.NO_INCLUIR
    return RcvSection.REGISTRO


def read(file: BinaryIO, kind: ImportFormat, section: RcvSection | None = None,
         keyed: "KeyedReader | None" = None) -> Iterator[SourceDocument | Rejection | tuple]:
    """Every document of the file, in order; raises UnreadableFile for a file-wide problem.
    Only the registro of compras is the purchase book: the pendientes' rows are documents
    pending acceptance, the other sections' rows are rejected, each with its reason.

    With ``keyed``, a registro's, pendientes' or ventas' document comes as the plain tuple
    KeyedReader describes (read whole later, if at all, by keyed.document)."""
    reader = csv.reader(_lines(file), delimiter=DELIMITER, strict=True)
    try:
        index = _header(reader, kind)
        if kind is ImportFormat.RCV_COMPRAS:
            section = section or section_of(index)
        rows = KeyedReader() if keyed is None else keyed
        rows.start(index, kind, pending=section is RcvSection.PENDIENTES)
        if section is not None and section not in (RcvSection.REGISTRO,
                                                   RcvSection.PENDIENTES):
            for entry in rows.entries(reader):
                found = rows.document(entry) if isinstance(entry, tuple) else entry
                yield Rejection(found.location, SECTION_REASONS[section], found.dte_type,
                                found.folio)
            return
        if keyed is not None:
            yield from rows.entries(reader)
            return
        for item in rows.entries(reader):
            yield rows.document(item) if type(item) is tuple else item
    except csv.Error as error:
        raise UnreadableFile(f"The CSV is malformed near line {reader.line_num}: {error}; "
                             "nothing was imported.") from None


class _Row:
    """One line's values, stripped once, padded to the header's width plus one empty value
    that every column the file lacks points at (so a lookup never tests a length)."""

    __slots__ = ("values", "index", "line", "problems")

    def __init__(self, values: list[str], index: dict[str, int], line: int):
        self.values, self.index, self.line = values, index, line
        self.problems: list[str] = []

    def get(self, name: str) -> str:
        return self.values[self.index[name]]

    def integer(self, name: str, *, required: bool = False) -> int:
        value = self.values[self.index[name]]
        # Not int() alone: it takes "+5", "５" and "1_000"; isascii() keeps only 0-9.
        if value.isdigit() and value.isascii() and len(value) <= _WHOLE_DIGITS:
            return int(value)
        if value in ("", "-"):
            if required:
                self.problems.append(f"column '{name}' is empty")
        else:
            self.problems.append(f"column '{name}' is '{value[:40]}', not a whole number ≥ 0 "
                                 "written in digits 0-9")
        return 0

    def amounts(self, names: tuple[str, ...]) -> list[int]:
        """Columns that may be empty (0), in order: integer() only for what is not plain
        digits, so a problem is said exactly as integer() says it."""
        values, index, amounts = self.values, self.index, []
        for name in names:
            value = values[index[name]]
            if not value:
                amounts.append(0)
            elif value.isdigit() and value.isascii() and len(value) <= _WHOLE_DIGITS:
                amounts.append(int(value))
            else:
                amounts.append(self.integer(name))
        return amounts

    def day(self, name: str, *, required: bool = True) -> date | None:
        value = self.values[self.index[name]]
        if not value and not required:
            return None
        # Fecha Recepcion comes with its time ("05/03/2024 10:12:40"): the day is enough.
        value = value.split(" ", 1)[0] if name == "Fecha Recepcion" else value
        day = _day(value)
        if day is None:
            self.problems.append(f"column '{name}' is '{value}', not a date (DD/MM/YYYY)")
        return day

    def tax(self, columns: tuple[str, str, str]) -> OtherTax | None:
        code_column, amount_column, rate_column = columns
        if not self.get(code_column) and not self.get(amount_column):
            return None
        code = self.integer(code_column, required=True)
        amount = self.integer(amount_column, required=True)
        rate_text = self.get(rate_column).replace(",", ".")
        try:
            rate = float(rate_text) if rate_text else None
        except ValueError:
            self.problems.append(f"column '{rate_column}' is '{rate_text}', not a percentage")
            rate = None
        return OtherTax(code=code, amount=amount, rate=rate) if code else None


def _is_whole(value: str) -> bool:
    return value.isdigit() and value.isascii() and len(value) <= _WHOLE_DIGITS


def _lookup(index: dict[str, int]) -> dict[str, int]:
    """Every column the reader asks for, by position: the header's, else -1, the empty
    value _padded() appends to each row. Resolved once per file."""
    return {name: -1 for name in _READ_COLUMNS} | index


def _padded(values: list[str], width: int) -> list[str]:
    stripped = list(map(str.strip, values))
    if len(stripped) < width:
        stripped.extend([""] * (width - len(stripped)))
    stripped.append("")
    return stripped


# Caches: a file names a few hundred counterparties, and a RUT is checked on every row.
_canonical_rut = functools.lru_cache(maxsize=4096)(canonical_rut)


class KeyedReader:
    """An export read key first. Each document (its row and the additional-tax rows that
    follow it) comes as a plain tuple (line, key, stated, values, tax_rows): key is
    (tipo, folio, counterparty RUT, issued by the buyer), stated (total, neto, exento,
    IVA), both None when a value of theirs cannot be read; values are the row's stripped
    values, tax_rows (line, values) of each tax row. That is all an import needs to tell a
    document already recorded with the same amounts; document() reads one whole."""

    def start(self, index: dict[str, int], kind: ImportFormat, *, pending: bool) -> None:
        self.kind, self.columns, self.pending = kind, COLUMNS[kind], pending
        self.direction = self.columns.direction
        self.lookup = _lookup(index)
        self.width = max(index.values(), default=-1) + 1
        at = self.lookup
        # One C call for each row's values of these columns.
        self._key_of = itemgetter(at["Tipo Doc"], at["Folio"], at[self.columns.rut])
        self._amounts_of = itemgetter(at["Monto Neto"], at["Monto Exento"],
                                      *(at[name] for name in self.columns.all_vat))
        self._total_at = at[self.columns.total]
        self._over_at = at[_OVER_PURCHASE_INVOICE]

    def entries(self, reader: _CsvReader) -> Iterator[tuple | Rejection]:
        columns, lookup, width = self.columns, self.lookup, self.width
        group: list | None = None  # [line, key, stated, values, tax rows, (tipo, folio)]
        nro, received, total = lookup["Nro"], lookup["Fecha Recepcion"], lookup[columns.total]
        for values in _rows(reader):
            stripped = _padded(values, width)
            if not any(stripped):
                continue
            line = reader.line_num
            # A row of only further taxes has no Nro, Fecha Recepcion or total; tested
            # without a _Row, as most rows are a document's own.
            if not (stripped[nro] or stripped[received] or stripped[total]):
                row = _Row(stripped, lookup, line)
                row.tax(columns.tax)
                of = (row.integer("Tipo Doc"), row.integer("Folio"))
                if group is not None and of == group[5] and not row.problems:
                    group[4].append((row.line, stripped))
                    continue
                if group is not None:
                    yield (*group[:4], tuple(group[4]))
                    group = None
                yield _misplaced_tax(row, of)
                continue
            if group is not None:
                yield (*group[:4], tuple(group[4]))
            key, stated = self._key(stripped)
            if key is None:
                row = _Row(stripped, lookup, line)
                ints = (row.integer("Tipo Doc"), row.integer("Folio"))
            group = [line, key, stated, stripped, [], key[:2] if key else ints]
        if group is not None:
            yield (*group[:4], tuple(group[4]))

    def _key(self, values: list[str]) -> tuple[tuple | None, tuple | None]:
        # Every row is read this far, and most no further: plain string tests, no _Row.
        tipo, folio, rut = self._key_of(values)
        total, amounts = values[self._total_at], self._amounts_of(values)
        numbers = tipo + folio + total
        if not (tipo and folio and total and numbers.isdigit() and numbers.isascii()
                and len(tipo) <= 3 and len(folio) <= 10 and len(total) <= _WHOLE_DIGITS):
            return None, None
        # Empty amounts are 0, as Row.amounts reads them; anything else but digits is not
        # read here.
        joined = "".join(amounts)
        if joined and not (joined.isdigit() and joined.isascii()
                           and len(joined) <= _WHOLE_DIGITS * len(amounts)):
            return None, None
        tipo_number, folio_number = int(tipo), int(folio)
        over = values[self._over_at].upper()
        if not (tipo_number and folio_number) or over not in _YES and over not in _NO:
            return None, None
        try:
            rut = _canonical_rut(rut)
        except InvalidRut:
            return None, None
        net, exempt, *vat = [int(amount) if amount else 0 for amount in amounts]
        references = self._references(values) if self.columns.reference else ()
        by_buyer = issued_by_buyer(tipo_number, references, over in _YES)
        return (tipo_number, folio_number, rut, by_buyer), (int(total), net, exempt, sum(vat))

    def _references(self, values: list[str]) -> tuple[Reference, ...]:
        if self.columns.reference is None:
            return ()
        return _reference(*(values[self.lookup[c]] for c in self.columns.reference))

    def document(self, entry: tuple) -> SourceDocument | Rejection:
        """A keyed entry read whole, as read() yields it."""
        line, _key, _stated, values, tax_rows = entry
        item = _document(_Row(values, self.lookup, line), self.columns, self.kind)
        if isinstance(item, Rejection):
            if tax_rows:
                lines = ", ".join(str(tax_line) for tax_line, _ in tax_rows)
                item = Rejection(item.location, f"{item.reason} (so are the additional "
                                 f"taxes on line(s) {lines}, which belong to it)",
                                 item.dte_type, item.folio)
            return item
        for tax_line, tax_values in tax_rows:
            tax = _Row(tax_values, self.lookup, tax_line).tax(self.columns.tax)
            if tax is not None:
                item = _with_tax(item, tax)
        item = _settled(item, self.kind)
        return replace(item, pending_acceptance=True) if self.pending else item


def _reference(ref_type: str, ref_folio: str) -> tuple[Reference, ...]:
    if ref_type.isdigit() and ref_folio.isdigit() and 1 <= int(ref_type) <= 999 \
            and int(ref_folio) >= 1:
        return (Reference(dte_type=int(ref_type), folio=int(ref_folio)),)
    return ()


def _misplaced_tax(row: _Row, key: tuple[int, int]) -> Rejection:
    return Rejection(Location(line=row.line),
                     "a row with only an additional tax (no Nro, Fecha Recepcion or "
                     "total) must come right after its document's row"
                     + (f": {'; '.join(row.problems)}" if row.problems else ""),
                     *key)


def _unbalanced_quote(first: int, last: int | None) -> UnreadableFile:
    lines = f"lines {first}-{last}" if last else f"every line from {first} on"
    return UnreadableFile(
        f"A quote (\") opens on line {first} and does not close on that line, so {lines} "
        "would be read as one row; nothing was imported. The SII's RCV export never breaks "
        "a value across lines: remove or close the quote on that line and import the file "
        "again."
    )


def _rows(reader: _CsvReader) -> Iterator[list[str]]:
    """The reader's rows, refusing one that a stray quote stretched over several lines."""
    last = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise _unbalanced_quote(last + 1, None) from None
            raise
        first, last = last + 1, reader.line_num
        if last > first and any("\n" in v or "\r" in v for v in values):
            raise _unbalanced_quote(first, last)
        yield values


def _with_tax(document: SourceDocument, tax: OtherTax) -> SourceDocument:
    return replace(document, other_taxes=(*document.other_taxes, tax))


def _settled(document: SourceDocument, kind: ImportFormat) -> SourceDocument:
    """A factura de compra's total is net of the IVA it retains, and so is a note the
    company issues over one; the RCV shows no column for that in compras, so the
    retention is what the total leaves out of the IVA."""
    over_46 = document.dte_type == 46 or document.over_purchase_invoice
    if kind is ImportFormat.RCV_COMPRAS and over_46 and not document.vat_retained:
        stated = document.net + document.exempt + document.vat + \
            sum(t.amount for t in document.other_taxes)
        if 0 < stated - document.total <= document.vat:
            return replace(document, vat_retained=stated - document.total)
    return document


def _document(row: _Row, columns: _Columns, kind: ImportFormat) -> SourceDocument | Rejection:
    dte_type = row.integer("Tipo Doc", required=True)
    folio = row.integer("Folio", required=True)
    issue_date = row.day("Fecha Docto")
    received_on = row.day("Fecha Recepcion", required=False)
    rut_text = row.get(columns.rut)
    rut = None
    try:
        rut = _canonical_rut(rut_text)
    except InvalidRut as error:
        row.problems.append(f"column '{columns.rut}': {error}")
    name = row.get("Razon Social") or None
    if name is None:
        row.problems.append("column 'Razon Social' is empty")
    net, exempt = row.amounts(_NET_EXEMPT)
    vat = sum(row.amounts(columns.all_vat))
    total = row.integer(columns.total, required=True)
    retained = sum(row.amounts(columns.retained))
    tax = row.tax(columns.tax)
    breakdown = _vat_breakdown(row) if kind is ImportFormat.RCV_COMPRAS else None
    credec = grntdep = 0
    if kind is ImportFormat.RCV_VENTAS:
        credec, grntdep = row.amounts(_CREDIT_DEPOSIT)
    over_purchase_invoice = _over_purchase_invoice(row, dte_type)
    references = () if columns.reference is None else \
        _reference(*(row.get(c) for c in columns.reference))
    location = Location(line=row.line)
    # Each of those is None only with a problem said: the checks narrow them for the types.
    if row.problems or issue_date is None or rut is None or name is None:
        return Rejection(location, "; ".join(row.problems), dte_type or None, folio or None)
    return SourceDocument(
        location=location, dte_type=dte_type, folio=folio, issue_date=issue_date, net=net,
        exempt=exempt, vat=vat, total=total, other_taxes=(tax,) if tax else (),
        vat_retained=retained, references=references, direction=columns.direction,
        counterparty=Party(rut, name[:NAME_LENGTH]), received_on=received_on,
        vat_breakdown=breakdown, construction_credit=credec, container_deposit=grntdep,
        over_purchase_invoice=over_purchase_invoice,
    )


_OVER_PURCHASE_INVOICE = "NCE o NDE sobre Fact. de Compra"
_YES, _NO = frozenset({"1", "S", "SI", "SÍ", "X"}), frozenset({"", "-", "0", "N", "NO"})


def _over_purchase_invoice(row: _Row, dte_type: int) -> bool:
    """The RCV's "NCE o NDE sobre Fact. de Compra": this note is over a 46 (so the buyer
    issued it). The SII writes 1 (or leaves it empty); a flag on a document that is no
    note says nothing, as the SII fills the column only for notes."""
    column = _OVER_PURCHASE_INVOICE
    value = row.get(column).upper()
    if value in _NO:
        return False
    if value not in _YES:
        row.problems.append(f"column '{column}' is '{value[:40]}', not 1 (a note over a "
                            "factura de compra) or empty")
        return False
    return dte_type in NOTES


_BREAKDOWN_COLUMNS = {
    "recoverable": "Monto IVA Recuperable", "non_recoverable": "Monto Iva No Recuperable",
    "common_use": "IVA uso Comun", "fixed_asset_net": "Monto Neto Activo Fijo",
    "fixed_asset_vat": "IVA Activo Fijo", "without_credit": "Impto. Sin Derecho a Credito",
    "not_retained": "IVA No Retenido", "tobacco_cigars": "Tabacos Puros",
    "tobacco_cigarettes": "Tabacos Cigarrillos", "tobacco_processed": "Tabacos Elaborados",
}
# Positional, so VatBreakdown is built without a dict per row: its fields are in this
# order with non_recoverable_code after the first two (tests/unit/invoicing keeps them in
# step).
_BREAKDOWN_NAMES = tuple(_BREAKDOWN_COLUMNS.values())
_NET_EXEMPT = ("Monto Neto", "Monto Exento")
_CREDIT_DEPOSIT = ("Credito empresa constructora", "Garantia Dep. Envases")


def _vat_breakdown(row: _Row) -> VatBreakdown | None:
    amounts = row.amounts(_BREAKDOWN_NAMES)
    code = row.get("Codigo IVA No Rec.")
    if code and not _is_whole(code):
        row.problems.append(f"column 'Codigo IVA No Rec.' is '{code[:40]}', not a code")
        code = ""
    if not code and not any(amounts):
        return None
    recoverable, non_recoverable, *rest = amounts  # in _BREAKDOWN_COLUMNS' order
    return VatBreakdown(recoverable, non_recoverable, int(code) if code else None, *rest)

