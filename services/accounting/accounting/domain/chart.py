"""The default Chilean chart of accounts a new company starts with (DESIGN.md §8).

Leaf accounts are 6-digit and postable; their group accounts are the prefixes of length
1, 2 and 4 and only add up what is below them.
"""

from accounting.domain.accounts import Account, AccountType

ASSET, LIAB, EQUITY, INCOME, EXPENSE = (
    AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY, AccountType.INCOME,
    AccountType.EXPENSE,
)

DEFAULT_LEAVES: tuple[Account, ...] = (
    Account("110101", "Caja", ASSET, postable=True),
    Account("110102", "Banco", ASSET, postable=True),
    Account("110310", "Clientes", ASSET, postable=True, auxiliary=True),
    Account("110420", "Deudores Varios", ASSET, postable=True),
    Account("110610", "Mercaderías", ASSET, postable=True),
    Account("110710", "IVA Crédito Fiscal", ASSET, postable=True),
    Account("110715", "ILA por Recuperar", ASSET, postable=True),
    Account("110730", "IVA Crédito Fiscal Uso Común", ASSET, postable=True),
    Account("110740", "PPM", ASSET, postable=True),
    Account("110750", "Crédito Especial Empresas Constructoras", ASSET, postable=True),
    Account("120110", "Maquinarias y Equipos", ASSET, postable=True),
    Account("120120", "Muebles y Útiles", ASSET, postable=True),
    Account("120130", "Vehículos", ASSET, postable=True),
    Account("210210", "Proveedores", LIAB, postable=True, auxiliary=True),
    Account("210710", "IVA Débito Fiscal", LIAB, postable=True),
    Account("210715", "IVA Retenido a terceros", LIAB, postable=True),
    Account("210720", "ILA Licores (cód. 24)", LIAB, postable=True),
    Account("210721", "ILA Vinos (cód. 25)", LIAB, postable=True),
    Account("210722", "ILA Cervezas (cód. 26)", LIAB, postable=True),
    Account("210723", "ILA Bebidas Analcohólicas (cód. 27)", LIAB, postable=True),
    Account("210724", "ILA Bebidas Azucaradas (cód. 271)", LIAB, postable=True),
    Account("210740", "Retención Segunda Categoría", LIAB, postable=True),
    Account("210745", "Impuesto a la Renta Retenido", LIAB, postable=True),
    Account("210760", "Garantía por Envases", LIAB, postable=True),
    Account("230110", "Capital Social", EQUITY, postable=True),
    Account("230510", "Resultado del Ejercicio", EQUITY, postable=True),
    Account("310115", "Ventas de Productos", INCOME, postable=True),
    Account("310120", "Ventas de Servicios", INCOME, postable=True),
    Account("310125", "Ventas de Exportación", INCOME, postable=True),
    Account("410230", "Compras", EXPENSE, postable=True),
    Account("410235", "Costo de Mercaderías Vendidas", EXPENSE, postable=True),
    Account("410190", "Cargos Bancarios", EXPENSE, postable=True),
    Account("420220", "Gastos Otros Impuestos", EXPENSE, postable=True),
)

GROUP_NAMES: dict[str, str] = {
    "1": "Activo",
    "11": "Activo Circulante",
    "1101": "Disponible",
    "1103": "Deudores por Venta",
    "1104": "Deudores Varios",
    "1106": "Existencias",
    "1107": "Impuestos por Recuperar",
    "12": "Activo Fijo",
    "1201": "Activo Fijo Bruto",
    "2": "Pasivo y Patrimonio",
    "21": "Pasivo Circulante",
    "2102": "Cuentas por Pagar",
    "2107": "Impuestos y Retenciones por Pagar",
    "23": "Patrimonio",
    "2301": "Capital",
    "2305": "Resultados Acumulados",
    "3": "Ingresos",
    "31": "Ingresos de Explotación",
    "3101": "Ventas",
    "4": "Costos y Gastos",
    "41": "Costos y Gastos de Explotación",
    "4101": "Gastos de Administración",
    "4102": "Costo de Ventas",
    "42": "Otros Gastos",
    "4202": "Impuestos y Contribuciones",
}

# A top-level group that mixes types (2: liabilities and equity) takes its digit's type.
_TYPE_BY_FIRST_DIGIT = {"1": ASSET, "2": LIAB, "3": INCOME, "4": EXPENSE}

GROUP_PREFIX_LENGTHS = (1, 2, 4)


def group_accounts(leaves: tuple[Account, ...] = DEFAULT_LEAVES) -> list[Account]:
    groups: dict[str, set[AccountType]] = {}
    for leaf in leaves:
        for length in GROUP_PREFIX_LENGTHS:
            groups.setdefault(leaf.code[:length], set()).add(leaf.type)
    accounts = []
    for code, types in groups.items():
        kind = next(iter(types)) if len(types) == 1 else _TYPE_BY_FIRST_DIGIT[code[0]]
        name = GROUP_NAMES.get(code, f"Grupo {code}")
        accounts.append(Account(code, name, kind, postable=False))
    return accounts


def default_chart() -> list[Account]:
    """Every account a new company starts with, ordered by code."""
    return sorted([*group_accounts(), *DEFAULT_LEAVES], key=lambda a: a.code)
