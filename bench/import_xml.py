"""Import EnvioDTE files of 5, 25 and 50 MB through invoicing's service layer; print the
time and DTEs/second of each (linear in the size is the point), and how long a file whose
root carries one 16 MiB attribute takes to be refused.

    .venv/bin/python -m bench.import_xml
    SIZES_MB=5,25 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.import_xml

Each DTE is a signed-looking 33 in ISO-8859-1 with CRLF, three Detalle lines, a
Referencia and a TED, as issuers send them. Database as bench.import_rcv: a fresh
PostgreSQL database on DATABASE_URL's server, else SQLite in a temporary directory; the
garbage collector tuned as the service tunes it. A script that prints figures, not a test.
"""

import asyncio
import io
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.import_rcv import COMPANY, invoicing_database, peak_rss_mb
from invoicing.adapters.tables import companies
from invoicing.domain.imports import UnreadableFile
from invoicing.service_layer.imports import ImportOptions, import_file
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.db import create_engine, session_factory
from shared.runtime import tune_garbage_collector
from shared.rut import rut_from_number

HEAD = ('<?xml version="1.0" encoding="ISO-8859-1"?>\r\n'
        '<EnvioDTE xmlns="http://www.sii.cl/SiiDte" version="1.0">\r\n<SetDTE ID="SetDoc">\r\n'
        '<Caratula version="1.0"><RutEmisor>97975000-5</RutEmisor><RutEnvia>11111111-1'
        f'</RutEnvia><RutReceptor>{COMPANY}</RutReceptor><FchResol>2014-08-22</FchResol>'
        '<NroResol>80</NroResol><TmstFirmaEnv>2024-03-31T10:00:00</TmstFirmaEnv></Caratula>\r\n')
TAIL = ('</SetDTE>\r\n<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>'
        'cGxhY2Vob2xkZXI=</SignatureValue></Signature>\r\n</EnvioDTE>\r\n')
SUPPLIERS = [rut_from_number(60_000_000 + i * 7919) for i in range(200)]


def dte(folio: int) -> str:
    supplier = SUPPLIERS[folio % len(SUPPLIERS)]
    prices = [1_000 + folio % 97 * 10, 2_500, 990]
    net = sum(prices)
    vat = (net * 19 + 50) // 100
    day = 1 + folio % 28
    lines = "".join(
        f"<Detalle><NroLinDet>{n}</NroLinDet><CdgItem><TpoCodigo>INT1</TpoCodigo><VlrCodigo>"
        f"A-{n}</VlrCodigo></CdgItem><NmbItem>Artículo ñandú {n}</NmbItem><QtyItem>1</QtyItem>"
        f"<PrcItem>{price}</PrcItem><MontoItem>{price}</MontoItem></Detalle>\r\n"
        for n, price in enumerate(prices, start=1))
    return (
        f'<DTE version="1.0"><Documento ID="F{folio}T33"><Encabezado><IdDoc><TipoDTE>33'
        f"</TipoDTE><Folio>{folio}</Folio><FchEmis>2024-03-{day:02d}</FchEmis></IdDoc>"
        f"<Emisor><RUTEmisor>{supplier}</RUTEmisor><RznSoc>Proveedor {folio % 200} Peñalolén "
        "SpA</RznSoc><GiroEmis>Comercio al por menor</GiroEmis><Acteco>479100</Acteco>"
        "<DirOrigen>Av. Matta 100</DirOrigen><CmnaOrigen>Santiago</CmnaOrigen></Emisor>"
        f"<Receptor><RUTRecep>{COMPANY}</RUTRecep><RznSocRecep>Bench SpA</RznSocRecep>"
        "<GiroRecep>Comercio</GiroRecep><DirRecep>Los Álamos 45</DirRecep><CmnaRecep>Ñuñoa"
        f"</CmnaRecep></Receptor><Totales><MntNeto>{net}</MntNeto><TasaIVA>19</TasaIVA>"
        f"<IVA>{vat}</IVA><MntTotal>{net + vat}</MntTotal></Totales></Encabezado>\r\n{lines}"
        "<Referencia><NroLinRef>1</NroLinRef><TpoDocRef>801</TpoDocRef><FolioRef>OC-"
        f"{folio}</FolioRef><FchRef>2024-03-01</FchRef></Referencia>\r\n"
        f'<TED version="1.0"><DD><RE>{supplier}</RE><TD>33</TD><F>{folio}</F></DD>'
        '<FRMT algoritmo="SHA1withRSA">cGxhY2Vob2xkZXI=</FRMT></TED><TmstFirma>'
        "2024-03-01T10:00:00</TmstFirma></Documento>\r\n"
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>'
        "cGxhY2Vob2xkZXI=</SignatureValue></Signature></DTE>\r\n"
    )


def write_envio(path: Path, megabytes: int, first_folio: int) -> int:
    """An EnvioDTE of about that size; how many DTEs it holds."""
    target, count = megabytes * 1_000_000, 0
    with path.open("wb") as file:
        file.write(HEAD.encode("iso-8859-1"))
        while file.tell() < target:
            file.write(dte(first_folio + count).encode("iso-8859-1"))
            count += 1
        file.write(TAIL.encode("iso-8859-1"))
    return count


def huge_attribute() -> bytes:
    return (b'<?xml version="1.0"?><EnvioDTE xmlns="http://www.sii.cl/SiiDte" x="'
            + b"A" * (16 << 20) + b'"><SetDTE/></EnvioDTE>')


async def run(url: str, files: list[tuple[Path, int]]) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    uow = lambda: UnitOfWork(sessions)  # noqa: E731
    try:
        async with sessions() as session, session.begin():
            await session.execute(companies.insert().values(
                rut=COMPANY, name="Bench SpA", created_at=datetime.now(UTC)))
        started = time.perf_counter()
        try:
            await import_file(uow, COMPANY, io.BytesIO(huge_attribute()))
        except UnreadableFile as error:
            print(f"16 MiB root attribute: refused in {time.perf_counter() - started:.3f} s "
                  f"({error.detail[:60]}…)")
        print(f"database: {make_url(url).get_backend_name()}")
        print("| file | DTEs | import | DTEs/s | MB/s | re-import (duplicates) | peak RSS |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for path, count in files:
            size = path.stat().st_size / 1e6
            started = time.perf_counter()
            with path.open("rb") as file:
                summary = await import_file(uow, COMPANY, file, options=ImportOptions())
            elapsed = time.perf_counter() - started
            assert (summary.created, summary.rejected) == (count, 0), summary
            started = time.perf_counter()
            with path.open("rb") as file:
                again = await import_file(uow, COMPANY, file, options=ImportOptions())
            again_elapsed = time.perf_counter() - started
            assert again.duplicates == count, again
            print(f"| {size:.1f} MB | {count:,} | {elapsed:.1f} s | {count / elapsed:,.0f} | "
                  f"{size / elapsed:.2f} | {again_elapsed:.1f} s ({count / again_elapsed:,.0f}"
                  f"/s) | {peak_rss_mb():.0f} MB |", flush=True)
    finally:
        await engine.dispose()


def main() -> None:
    sizes = [int(s) for s in os.environ.get("SIZES_MB", "5,25,50").split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        # Each size in its own range of folios, so the files do not repeat each other.
        files = []
        for n, megabytes in enumerate(sizes):
            path = Path(tmp) / f"envio_{megabytes}mb.xml"
            files.append((path, write_envio(path, megabytes, 1 + n * 10_000_000)))
        with invoicing_database(tmp) as url:
            tune_garbage_collector()
            asyncio.run(run(url, files))


if __name__ == "__main__":
    main()
