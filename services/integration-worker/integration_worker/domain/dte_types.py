"""SII document types (tipo DTE) the rules know, by name and by the side they occur on."""

NAMES: dict[int, str] = {
    33: "Factura electrónica",
    34: "Factura exenta electrónica",
    39: "Boleta electrónica",
    41: "Boleta exenta electrónica",
    46: "Factura de compra electrónica",
    52: "Guía de despacho electrónica",
    56: "Nota de débito electrónica",
    61: "Nota de crédito electrónica",
    110: "Factura de exportación electrónica",
    111: "Nota de débito de exportación electrónica",
    112: "Nota de crédito de exportación electrónica",
}

# A 46 on the sales side is one a customer issued to the company (DESIGN §6b): a sale.
SALES = frozenset({33, 34, 39, 41, 46, 56, 61, 110, 111, 112})
PURCHASES = frozenset({33, 34, 46, 56, 61})
NOTES = frozenset({56, 61, 111, 112})
NOT_POSTED = frozenset({52})  # a guía de despacho moves goods; the invoice posts them
BOLETAS = frozenset({39, 41})


def name_of(dte_type: int) -> str:
    return NAMES.get(dte_type, f"Documento tipo {dte_type}")
