"""The safety talk as a PDF: printed, and attached when it is shared with the security
officer."""

from insats.documents.pdf import render_pdf

from . import selectors
from .models import SafetyTalk


def talk_pdf(talk: SafetyTalk, *, request=None) -> bytes:
    """`talk` with its people loaded (selectors.talk_with_people)."""
    return render_pdf(
        "staffsafety/talk_pdf.html",
        {"talk": talk, "groups": selectors.grouped(selectors.talk_items(talk))},
        request=request,
    )
