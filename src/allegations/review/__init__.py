"""Review: the decision store, queues of cases, the terminal screen, exchange formats,
estimates from reviewed cases.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .audit_store import AuditDesign
    from .cases import (
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
    from .decision import Decision, text_hash
    from .estimate import (
        Z95,
        Z_JOINT,
        estimate_store,
        weighted_share,
        wilson,
    )
    from .exchange import (
        EXPORT_FORMATS,
        export_store,
    )
    from .exchange_import import (
        IMPORT_FORMATS,
        import_file,
    )
    from .interrater import agreement
    from .opening import open_review
    from .select import (
        SELECT_STRATEGIES,
        codebook_scores,
        rank_by_scores,
        select,
    )
    from .session import (
        LEGEND,
        ReviewSession,
        safe,
    )
    from .store import ReviewStore
    from .store_schema import STORE_FORMAT

__all__ = [
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
    "AuditDesign": "audit_store",
    "Decision": "decision",
    "ReviewStore": "store",
    "STORE_FORMAT": "store_schema",
    "text_hash": "decision",
    "AUDIT_EDGES": "cases",
    "Case": "cases",
    "DEFAULT_AUDIT_SIZE": "cases",
    "STRATEGIES": "cases",
    "allocate": "cases",
    "case_confidence": "cases",
    "draw_audit": "cases",
    "evidence_spans": "cases",
    "load_cases": "cases",
    "order_cases": "cases",
    "parse_evidence": "cases",
    "release_fingerprint": "cases",
    "SELECT_STRATEGIES": "select",
    "codebook_scores": "select",
    "rank_by_scores": "select",
    "select": "select",
    "LEGEND": "session",
    "ReviewSession": "session",
    "open_review": "opening",
    "safe": "session",
    "EXPORT_FORMATS": "exchange",
    "IMPORT_FORMATS": "exchange_import",
    "export_store": "exchange",
    "import_file": "exchange_import",
    "Z95": "estimate",
    "Z_JOINT": "estimate",
    "agreement": "interrater",
    "estimate_store": "estimate",
    "wilson": "estimate",
    "weighted_share": "estimate",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
