"""Tag a file: open, check, tag, write, provenance; local and Dask engines; the demo.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dask_engine import (
        local_cluster,
        predict_dask,
        require_dask,
    )
    from .dask_input import resolve_inputs
    from .demo import (
        run_demo,
        train_default_model,
    )
    from .engines import (
        STAGES,
        ChunkResult,
        RunTotals,
        tag_chunk,
        tag_chunks,
    )
    from .options import (
        OutputShape,
        PredictOptions,
    )
    from .predict import predict_file
    from .summary import (
        run_summary,
        summary_path,
        tag_view,
        write_summary_json,
    )
    from .workflows import (
        LabelledData,
        LabelSpec,
        evaluate_file,
        read_labelled,
        train_files,
    )

__all__ = [
    "LabelSpec",
    "LabelledData",
    "read_labelled",
    "train_files",
    "predict_file",
    "PredictOptions",
    "OutputShape",
    "summary_path",
    "run_summary",
    "write_summary_json",
    "tag_view",
    "evaluate_file",
    "STAGES",
    "ChunkResult",
    "tag_chunk",
    "tag_chunks",
    "RunTotals",
    "predict_dask",
    "require_dask",
    "resolve_inputs",
    "local_cluster",
    "run_demo",
    "train_default_model",
]

_WHERE = {
    "LabelSpec": "workflows",
    "LabelledData": "workflows",
    "read_labelled": "workflows",
    "train_files": "workflows",
    "predict_file": "predict",
    "PredictOptions": "options",
    "OutputShape": "options",
    "summary_path": "summary",
    "run_summary": "summary",
    "write_summary_json": "summary",
    "tag_view": "summary",
    "evaluate_file": "workflows",
    "STAGES": "engines",
    "ChunkResult": "engines",
    "tag_chunk": "engines",
    "tag_chunks": "engines",
    "RunTotals": "engines",
    "predict_dask": "dask_engine",
    "require_dask": "dask_engine",
    "resolve_inputs": "dask_input",
    "local_cluster": "dask_engine",
    "run_demo": "demo",
    "train_default_model": "demo",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
