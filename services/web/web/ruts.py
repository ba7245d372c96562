"""The RUT check of the console, with its messages in Spanish (the same módulo 11 rule as
static/rut.js, which checks as the person types; this is the check that counts)."""

from dataclasses import dataclass

from shared.rut import InvalidRut, canonical_rut, format_rut


@dataclass(frozen=True)
class RutCheck:
    canonical: str | None  # 12345678-5 when valid
    message: str  # empty when valid

    @property
    def ok(self) -> bool:
        return self.canonical is not None


def check_digit(digits: str) -> str:
    """Módulo 11: weights 2, 3, 4, 5, 6, 7 from the right, 11 - (sum mod 11); 11 → 0,
    10 → K."""
    total, weight = 0, 2
    for digit in reversed(digits):
        total += int(digit) * weight
        weight = 2 if weight == 7 else weight + 1
    rest = 11 - total % 11
    return {11: "0", 10: "K"}.get(rest, str(rest))


def check_rut(text: str | None) -> RutCheck:
    raw = (text or "").strip()
    if not raw:
        return RutCheck(None, "Ingresa un RUT, p. ej. 12.345.678-5.")
    cleaned = raw.replace(".", "").replace(" ", "").upper()
    if "-" not in cleaned and len(cleaned) > 1:
        cleaned = f"{cleaned[:-1]}-{cleaned[-1]}"
    number, _, dv = cleaned.partition("-")
    if not number.isdigit() or len(dv) != 1 or dv not in "0123456789K" or len(number) > 8:
        return RutCheck(None, f"«{raw}» no es un RUT: escribe el número, un guion y el dígito "
                              "verificador (0-9 o K), p. ej. 12.345.678-5.")
    expected = check_digit(number)
    if dv != expected:
        return RutCheck(None, f"El dígito verificador de {raw} no corresponde: según el "
                              f"módulo 11 debería ser {expected}. Revisa el número.")
    try:
        return RutCheck(canonical_rut(cleaned), "")
    except InvalidRut:  # the rule above and shared.rut agree; this is only a safety net
        return RutCheck(None, f"«{raw}» no es un RUT válido.")


def ruts_in(text: str | None) -> tuple[list[str], list[str]]:
    """The canonical RUTs of a list written with commas, spaces or new lines, and the
    messages for those that are not RUTs."""
    good: list[str] = []
    bad: list[str] = []
    for part in (text or "").replace(",", " ").replace(";", " ").split():
        result = check_rut(part)
        if result.canonical is not None:
            if result.canonical not in good:
                good.append(result.canonical)
        else:
            bad.append(result.message)
    return good, bad


def dotted(canonical: str) -> str:
    return format_rut(canonical)
