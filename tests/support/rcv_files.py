"""RCV CSV files written from the SII's formats (DESIGN.md §11), for the import tests."""

import csv
import io

from invoicing.adapters.sii.rcv_csv import COMPRAS_HEADER

# The other compras sections differ from the registro by their columns.
PENDIENTES = [c for c in COMPRAS_HEADER if c != "Fecha Acuse"]
RECLAMADOS = [("Fecha Reclamo" if c == "Fecha Acuse" else c) for c in COMPRAS_HEADER]
NO_INCLUIR = [c for c in COMPRAS_HEADER if not c.startswith("Tabacos")]


def rcv_file(header, rows: list[dict]) -> bytes:
    """The SII's export: ';'-separated, CRLF, a column left out of a row is empty."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue().encode()


def compra_row(folio, tipo=33, neto=1000, iva=190, total=1190, *, rut="97975000-5",
               **more) -> dict:
    """One row of the RCV compras (any section: a column its header lacks is dropped)."""
    return {"Nro": folio, "Tipo Doc": tipo, "Tipo Compra": "Del Giro", "RUT Proveedor": rut,
            "Razon Social": "Proveedor SpA", "Folio": folio, "Fecha Docto": "02/03/2024",
            "Fecha Recepcion": "04/03/2024 10:00:00", "Fecha Acuse": "06/03/2024 10:00:00",
            "Monto Exento": 0, "Monto Neto": neto, "Monto IVA Recuperable": iva,
            "Monto Total": total, **more}
