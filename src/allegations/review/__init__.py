"""Review: the decision store, queues of cases, the terminal screen, exchange formats,
estimates from reviewed cases.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._audit_store import AuditDesign
    from ._cases import (
        AUDIT_EDGES,
        DEFAULT_AUDIT_SIZE,
        STRATEGIES,
        Case,
        allocate,
        case_confidence,
        draw_audit,
        evidence_spans,
        load_cases,
        order_cases,
        parse_evidence,
        release_fingerprint,
    )
    from ._cold import open_codebook_review
    from ._decision import Decision, text_hash
    from ._estimate import (
        Z95,
        Z_JOINT,
        estimate_store,
        weighted_share,
        wilson,
    )
    from ._exchange import (
        EXPORT_FORMATS,
        export_store,
    )
    from ._exchange_import import (
        IMPORT_FORMATS,
        import_file,
    )
    from ._fix import SuspectCase, open_suspects_review
    from ._interrater import agreement
    from ._learn import DEFAULT_EVERY, attach_learner
    from ._opening import open_review
    from ._select import (
        SELECT_STRATEGIES,
        codebook_scores,
        rank_by_scores,
        select,
    )
    from ._session import (
        LEGEND,
        ReviewSession,
        safe,
    )
    from ._sheet_import import import_sheet
    from ._sheets import is_sheet, write_sheet
    from ._store import ReviewStore
    from ._store_schema import STORE_FORMAT

__all__ = [
    "write_sheet",
    "open_suspects_review",
    "open_codebook_review",
    "is_sheet",
    "import_sheet",
    "attach_learner",
    "SuspectCase",
    "DEFAULT_EVERY",
    "AuditDesign",
    "Decision",
    "ReviewStore",
    "STORE_FORMAT",
    "text_hash",
    "AUDIT_EDGES",
    "Case",
    "DEFAULT_AUDIT_SIZE",
    "STRATEGIES",
    "allocate",
    "case_confidence",
    "draw_audit",
    "evidence_spans",
    "load_cases",
    "order_cases",
    "parse_evidence",
    "release_fingerprint",
    "SELECT_STRATEGIES",
    "codebook_scores",
    "rank_by_scores",
    "select",
    "LEGEND",
    "ReviewSession",
    "open_review",
    "safe",
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "export_store",
    "import_file",
    "Z95",
    "Z_JOINT",
    "agreement",
    "estimate_store",
    "wilson",
    "weighted_share",
]

_WHERE = {
    "write_sheet": "_sheets",
    "open_suspects_review": "_fix",
    "open_codebook_review": "_cold",
    "is_sheet": "_sheets",
    "import_sheet": "_sheet_import",
    "attach_learner": "_learn",
    "SuspectCase": "_fix",
    "DEFAULT_EVERY": "_learn",
    "AuditDesign": "_audit_store",
    "Decision": "_decision",
    "ReviewStore": "_store",
    "STORE_FORMAT": "_store_schema",
    "text_hash": "_decision",
    "AUDIT_EDGES": "_cases",
    "Case": "_cases",
    "DEFAULT_AUDIT_SIZE": "_cases",
    "STRATEGIES": "_cases",
    "allocate": "_cases",
    "case_confidence": "_cases",
    "draw_audit": "_cases",
    "evidence_spans": "_cases",
    "load_cases": "_cases",
    "order_cases": "_cases",
    "parse_evidence": "_cases",
    "release_fingerprint": "_cases",
    "SELECT_STRATEGIES": "_select",
    "codebook_scores": "_select",
    "rank_by_scores": "_select",
    "select": "_select",
    "LEGEND": "_session",
    "ReviewSession": "_session",
    "open_review": "_opening",
    "safe": "_session",
    "EXPORT_FORMATS": "_exchange",
    "IMPORT_FORMATS": "_exchange_import",
    "export_store": "_exchange",
    "import_file": "_exchange_import",
    "Z95": "_estimate",
    "Z_JOINT": "_estimate",
    "agreement": "_interrater",
    "estimate_store": "_estimate",
    "wilson": "_estimate",
    "weighted_share": "_estimate",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
