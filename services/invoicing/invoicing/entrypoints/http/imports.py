from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, Field

from invoicing.domain.imports import (
    ImportFormat,
    ImportItem,
    ImportSummary,
    ItemStatus,
    RcvSection,
)
from invoicing.entrypoints.http.dependencies import CompanyRut
from invoicing.service_layer import imports
from shared.http.problems import PROBLEM_RESPONSES, ProblemDetails

router = APIRouter(prefix="/v1/companies/{rut}/documents", tags=["imports"],
                   responses=PROBLEM_RESPONSES)


class ImportItemOut(BaseModel):
    line: int | None = Field(default=None, description="CSV line (the header is line 1)")
    xml_path: str | None = Field(default=None, examples=["/EnvioDTE/SetDTE/DTE[3]"])
    dte_type: int | None = None
    folio: int | None = None
    status: ItemStatus
    reason: str | None = Field(default=None, description="why it was rejected, whose "
                                                         "duplicate it is, how it conflicts, "
                                                         "or why it is pending or accepted")
    document_id: str | None = Field(default=None, description="the created or existing "
                                                              "document")

    @classmethod
    def of(cls, item: ImportItem) -> "ImportItemOut":
        return cls(line=item.location.line, xml_path=item.location.xml_path,
                   dte_type=item.dte_type, folio=item.folio, status=item.status,
                   reason=item.reason, document_id=item.document_id)


class ImportOut(BaseModel):
    format: ImportFormat
    created: int = Field(description="documents recorded by this import (as purchases or "
                                     "sales of the books)")
    pending: int = Field(
        default=0, description="RCV compras pendientes: documents recorded as pending "
                               "acceptance, not synchronised until a registro lists them")
    accepted: int = Field(
        default=0, description="documents recorded before as pending acceptance that this "
                               "registro lists: the same documents, now purchases of the "
                               "books (synchronised from now on)")
    duplicates: int = Field(description="documents already recorded, left as they were")
    rejected: int = Field(description="documents refused; each is listed with its reason")
    conflicts: int = Field(
        default=0, description="folios already recorded with other amounts, left as recorded; "
                               "each is listed with both amounts")
    items: list[ImportItemOut] = Field(
        description="the rejected and conflicting documents (all documents with items=all), "
                    "in file order")
    items_omitted: int = Field(
        default=0, description="items not listed because of the listing limit; the counts "
                               "above are complete")

    @classmethod
    def of(cls, summary: ImportSummary) -> "ImportOut":
        return cls(format=summary.format, created=summary.created, pending=summary.pending,
                   accepted=summary.accepted,
                   duplicates=summary.duplicates, rejected=summary.rejected,
                   conflicts=summary.conflicts,
                   items=[ImportItemOut.of(i) for i in summary.items],
                   items_omitted=summary.items_omitted)


_FORMATS = ("dte-xml: one signed <DTE>; envio-dte: an <EnvioDTE> with many; rcv-compras / "
            "rcv-ventas: the SII's Registro de Compras (registro) or Ventas CSV export")


@router.post(
    "/import",
    response_model=ImportOut,
    summary="Import SII documents: DTE XML, EnvioDTE XML or an RCV CSV export",
    description=(
        "Each document of the file is recorded as if posted to /documents: the direction "
        "is sales when the company is the emisor and purchases when it is the receptor "
        "(a 46 the other way round); a document already recorded is reported as a "
        "duplicate, so importing a file twice changes nothing. One bad document does not "
        "block the others. A hostile file (DTD, entities), a malformed one or one over the "
        "size limit is refused whole, with nothing imported."
    ),
    responses={413: {"model": ProblemDetails, "description": "The file is over the size limit",
                     "content": {"application/problem+json": {}}}},
)
async def import_documents(
    rut: CompanyRut,
    request: Request,
    file: Annotated[UploadFile, File(description="the DTE XML, EnvioDTE XML or RCV CSV file")],
    format: Annotated[ImportFormat | None, Query(description="force the format; detected "
                                                 "when left out. " + _FORMATS)] = None,
    items: Annotated[Literal["rejected", "all"], Query(
        description="which documents to list: only the rejected ones, or all")] = "rejected",
    section: Annotated[RcvSection | None, Query(
        description="RCV compras: which of the SII's files it is; told from its header when "
                    "left out. The registro is the purchase book; the pendientes' rows are "
                    "recorded as pending acceptance (not synchronised until a registro lists "
                    "them); the rows of reclamados and no-incluir are rejected with their "
                    "reason")] = None,
) -> ImportOut:
    container = request.app.state.container
    settings = container.settings
    options = imports.ImportOptions(batch_size=settings.import_batch_size,
                                    max_items=settings.import_max_items,
                                    all_items=items == "all", section=section)
    summary = await imports.import_file(container.uow, rut, file.file, format, options=options)
    return ImportOut.of(summary)
