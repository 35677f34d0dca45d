"""The codebook: labels, their definitions, include/exclude notes and seed phrases.

A codebook is a TOML file::

    [codebook]
    name = "Data misuse"
    version = "1.0"

    [[labels]]
    name = "unauthorized_query"
    definition = "Searched agency systems without an official purpose..."
    include = ["queries about ex-partners", "..."]
    exclude = ["queries with a case number and supervisor approval"]
    seed_phrases = ["ran her plate", "queried TECS"]
    goal = "f1"            # optional: f1, precision=0.9 or recall=0.8

``[codebook] label_source = "..."`` (optional) says who assigned the training labels
("hand-labelled by two reviewers", "the department's own intake codes"); ``train``
records it in the model card and the report's methods note says it.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CodebookError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Codebook", "LabelDefinition", "load_codebook"]


@dataclass(frozen=True)
class LabelDefinition:
    """One label of a codebook."""

    name: str
    definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    seed_phrases: tuple[str, ...] = ()
    goal: str | None = None


@dataclass(frozen=True)
class Codebook:
    """A named, versioned list of label definitions."""

    name: str
    version: str
    labels: tuple[LabelDefinition, ...]
    sha256: str = ""
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label_names(self) -> list[str]:
        """The label names, in codebook order."""
        return [label.name for label in self.labels]

    def get(self, name: str) -> LabelDefinition | None:
        """Return the definition of ``name`` (case-insensitive), or None."""
        key = name.casefold()
        return next((d for d in self.labels if d.name.casefold() == key), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, as stored in model cards."""
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            **(
                {"label_source": self.extra["label_source"]} if "label_source" in self.extra else {}
            ),
            "labels": [
                {
                    "name": d.name,
                    "definition": d.definition,
                    "include": list(d.include),
                    "exclude": list(d.exclude),
                    "seed_phrases": list(d.seed_phrases),
                    "goal": d.goal,
                }
                for d in self.labels
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Codebook:
        """Rebuild a codebook from :meth:`to_dict` output."""
        return cls(
            name=str(data.get("name", "")),
            version=str(data.get("version", "")),
            sha256=str(data.get("sha256", "")),
            extra={"label_source": str(data["label_source"])} if data.get("label_source") else {},
            labels=tuple(
                LabelDefinition(
                    name=d["name"],
                    definition=d.get("definition", ""),
                    include=tuple(d.get("include", ())),
                    exclude=tuple(d.get("exclude", ())),
                    seed_phrases=tuple(d.get("seed_phrases", ())),
                    goal=d.get("goal"),
                )
                for d in data.get("labels", [])
            ),
        )


def load_codebook(path: str | Path) -> Codebook:
    """Read and check a TOML codebook.

    Parameters
    ----------
    path : str or Path
        The codebook file.

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        If the file is missing, is not TOML, or its labels are malformed or repeated.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError(
            f"Codebook {path} not found; pass an existing TOML file to `codebook`."
        ) from None
    except OSError as exc:
        raise CodebookError(f"Codebook {path} cannot be read ({exc.strerror}).") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CodebookError(
            f"Codebook {path} is not valid UTF-8 TOML ({exc}); fix the file."
        ) from None
    head = data.get("codebook", {})
    entries = data.get("labels")
    if not isinstance(entries, list) or not entries:
        raise CodebookError(
            f"Codebook {path} has no [[labels]] entries; add one [[labels]] table per label."
        )
    labels: list[LabelDefinition] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
            raise CodebookError(
                f"Codebook {path}: label entry {i} has no 'name'; add name = \"...\"."
            )
        name = " ".join(str(entry["name"]).split())
        if name.casefold() in seen:
            raise CodebookError(
                f"Codebook {path}: label '{name}' is defined twice; keep one entry."
            )
        seen.add(name.casefold())
        labels.append(
            LabelDefinition(
                name=name,
                definition=" ".join(str(entry.get("definition", "")).split()),
                include=_strings(entry.get("include", []), path, name, "include"),
                exclude=_strings(entry.get("exclude", []), path, name, "exclude"),
                seed_phrases=_strings(entry.get("seed_phrases", []), path, name, "seed_phrases"),
                goal=str(entry["goal"]) if entry.get("goal") is not None else None,
            )
        )
    return Codebook(
        name=str(head.get("name", path.stem)),
        version=str(head.get("version", "")),
        labels=tuple(labels),
        sha256=hashlib.sha256(raw).hexdigest(),
        path=str(path),
        extra={"label_source": str(head["label_source"])} if head.get("label_source") else {},
    )


def _strings(value: Any, path: Path, name: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CodebookError(
            f"Codebook {path}: '{key}' of label '{name}' must be a list of strings."
        )
    return tuple(v.strip() for v in value if v.strip())
