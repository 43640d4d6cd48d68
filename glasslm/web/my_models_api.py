"""/api/my-models: list, download and upload the learner's tiny GPTs (the store: my_models.py).

GET  /api/my-models                 the session's models (newest first), the server's, and the limits
GET  /api/my-models/{id}/download   the model as the safetensors checkpoint `glasslm train --out` writes
POST /api/my-models/upload?name=    a checkpoint file (application/octet-stream) joins the session's models

An upload is checked before anything changes: its size (MAX_UPLOAD_BYTES, which
guard.py allows this path instead of its usual body limit), that it is a tiny
GPT checkpoint (gpt.TinyGPT.from_checkpoint: header, config, shapes, finite
numbers), that it stores its characters, and the weights' size in memory.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from glasslm.engine.models.tiny.gpt import CheckpointError, TinyGPT
from glasslm.web.errors import DemoError
from glasslm.web.my_models import MAX_MODEL_BYTES, MAX_MODELS_PER_SESSION, MAX_NAME_CHARS, MAX_SESSIONS, my_models
from glasslm.web.session import session_id

router = APIRouter()

UPLOAD_PATH = "/api/my-models/upload"
MAX_UPLOAD_BYTES = MAX_MODEL_BYTES + 100_000  # float64 weights as big as the store keeps, plus the header
NOT_A_CHECKPOINT = (
    "This file is not a tiny GPT checkpoint: choose a .safetensors file saved from Train a GPT "
    "or with `glasslm train --out FILE.safetensors`."
)


@router.get("")
def list_models(request: Request, session: str = Depends(session_id)):
    return {
        "models": [m.info() for m in my_models(request).list(session)],
        "limits": {
            "models_per_session": MAX_MODELS_PER_SESSION,
            "model_bytes": MAX_MODEL_BYTES,
            "upload_bytes": MAX_UPLOAD_BYTES,
            "sessions": MAX_SESSIONS,
        },
    }


def _file_name(name: str) -> str:
    return (re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "tiny-gpt") + ".safetensors"


@router.get("/{model_id}/download")
def download(model_id: str, request: Request, session: str = Depends(session_id)):
    entry = my_models(request).get(session, model_id)
    with tempfile.TemporaryDirectory() as tmp:
        body = entry.model.save(Path(tmp) / "model.safetensors").read_bytes()
    return Response(
        body,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(entry.name)}"'},
    )


def load_checkpoint(file: bytes, limit: int = MAX_UPLOAD_BYTES) -> TinyGPT:
    """The model in an uploaded file of at most `limit` bytes, or a DemoError with one sentence saying why not."""
    if not file:
        raise DemoError(
            "The file is empty: choose a .safetensors file saved from Train a GPT or with `glasslm train --out`.",
            "file",
        )
    if len(file) > limit:
        raise DemoError(
            f"The file is {len(file):,} bytes; an uploaded model may be at most {limit:,} here. "
            "Open bigger ones with `glasslm serve --model FILE`.",
            "file",
            413,
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.safetensors"
        path.write_bytes(file)
        try:
            model = TinyGPT.from_checkpoint(path)
        except CheckpointError as err:
            text = str(err)
            if "not a readable safetensors" in text or "not a glasslm tiny GPT" in text:
                raise DemoError(NOT_A_CHECKPOINT, "file") from None
            raise DemoError(f"{text.replace('upload.safetensors', 'This file')}.", "file") from None
    if model.tokenizer is None:
        raise DemoError(
            "This checkpoint has no characters stored beside its weights, so its ids cannot be turned into text.",
            "file",
        )
    return model


@router.post("/upload")
def upload(
    request: Request,
    file: bytes = Body(b"", media_type="application/octet-stream"),
    name: str = Query("uploaded model", min_length=1, max_length=MAX_NAME_CHARS),
    session: str = Depends(session_id),
):
    """Validate the checkpoint; only a good one joins the session's models (nothing changes otherwise)."""
    entry = my_models(request).add(session, load_checkpoint(file), name.strip() or "uploaded model", "uploaded")
    return entry.info()
