"""Tag a file: open, check, tag, write, provenance; local and Dask engines; the demo.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._dask_engine import (
        local_cluster,
        predict_dask,
        require_dask,
    )
    from ._dask_input import resolve_inputs
    from ._demo import (
        run_demo,
        train_default_model,
    )
    from ._engines import (
        STAGES,
        ChunkResult,
        RunTotals,
        tag_chunk,
        tag_chunks,
    )
    from ._options import (
        OutputShape,
        PredictOptions,
    )
    from ._predict import predict_file
    from ._summary import (
        run_summary,
        summary_path,
        tag_view,
        write_summary_json,
    )
    from ._workflows import (
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
    "LabelSpec": "_workflows",
    "LabelledData": "_workflows",
    "read_labelled": "_workflows",
    "train_files": "_workflows",
    "predict_file": "_predict",
    "PredictOptions": "_options",
    "OutputShape": "_options",
    "summary_path": "_summary",
    "run_summary": "_summary",
    "write_summary_json": "_summary",
    "tag_view": "_summary",
    "evaluate_file": "_workflows",
    "STAGES": "_engines",
    "ChunkResult": "_engines",
    "tag_chunk": "_engines",
    "tag_chunks": "_engines",
    "RunTotals": "_engines",
    "predict_dask": "_dask_engine",
    "require_dask": "_dask_engine",
    "resolve_inputs": "_dask_input",
    "local_cluster": "_dask_engine",
    "run_demo": "_demo",
    "train_default_model": "_demo",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
