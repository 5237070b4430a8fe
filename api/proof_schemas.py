"""What the proof-of-delivery routes take and answer (api/proofs.py), published in the OpenAPI schema."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.errors import Ident
from api.schemas import Out, Strict

#: A base64 image in a JSON body: the phone's resized JPEG, at most the operator's size cap (7 MB
#: at most, so 4/3 of it as text) and a data-URL prefix.
MAX_IMAGE_TEXT = 7 * 1024 * 1024 * 4 // 3 + 100


class ProofUploadIn(Strict):
    job_id: Ident = Field(min_length=1, max_length=36)
    kind: Literal["photo", "signature"]
    image: str = Field(
        min_length=1,
        max_length=MAX_IMAGE_TEXT,
        description="The image as base64 or a data URL (data:image/jpeg;base64,...); JPEG, PNG or WebP "
        "by content; its metadata (EXIF, GPS, camera) is removed before it is stored",
    )


class ProofRuleIn(Strict):
    needs: list[Literal["photo", "signature", "name"]] = Field(
        max_length=3, description="What this client's deliveries need unless a request says; empty: nothing"
    )


class ProofOut(Out):
    id: str
    job_id: str
    kind: Literal["photo", "signature", "name", "code"]
    status: Literal["kept", "purged"] = Field(description="purged: deleted after the retention")
    url: str | None = Field(description="Where this reader fetches the file (photos and signatures while kept)")
    media_type: str | None
    size: int | None
    sha256: str | None = Field(description="SHA-256 of the file as stored (without metadata)")
    recipient_name: str | None
    created_at: str
    purged_at: str | None


class ProofsOut(Out):
    delivery_id: str
    needs: list[str] = Field(description="What the delivery needed at the door")
    proofs: list[ProofOut]


class ProofRuleOut(Out):
    client_id: str
    needs: list[str]
