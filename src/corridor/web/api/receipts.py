"""``GET /api/v1/passages/{event_id}/receipt``: a C2SP tlog-proof of the passage, as JSON with a
QR code, and ``.../receipt.png``, the QR code alone (for a printed receipt)."""

from __future__ import annotations

import base64
import io
from typing import Any

import segno
from fastapi import APIRouter
from fastapi.responses import Response

from corridor.hq.logread import receipt
from corridor.reports.passages import passage_log_index
from corridor.store import queries
from corridor.web.api.models import ErrorBody, Receipt
from corridor.web.context import Reader

router = APIRouter(tags=["receipts"])
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}, 422: {"model": ErrorBody}}


def _qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="l", micro=False).save(buffer, kind="png", scale=3, border=2)
    return buffer.getvalue()


@router.get("/passages/{event_id}/receipt", response_model=Receipt, responses=ERRORS)
def get_receipt(conn: Reader, event_id: str) -> dict[str, Any]:
    """Proof that the passage is in the log: index, proof hashes and the signed checkpoint
    (C2SP tlog-proof), the log entry itself, and a PNG QR code of the proof."""
    canonical, index = passage_log_index(conn, event_id)
    proof = receipt(conn, index).to_text()
    entry = queries.log_entry(conn, index) or b""
    return {
        "event_id": canonical,
        "log_index": index,
        "proof": proof,
        "entry": base64.b64encode(entry).decode("ascii"),
        "qr_png": base64.b64encode(_qr_png(proof)).decode("ascii"),
    }


@router.get(
    "/passages/{event_id}/receipt.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **ERRORS},
)
def get_receipt_qr(conn: Reader, event_id: str) -> Response:
    """The receipt's tlog-proof as a QR code."""
    _, index = passage_log_index(conn, event_id)
    return Response(_qr_png(receipt(conn, index).to_text()), media_type="image/png")
