"""The Python reference (specstar 0.12.3) serving the quickstart's Issue model.

Used by compat/run.sh as the other side of the HTTP compatibility check:

    uvicorn reference_app:app --app-dir compat --host 127.0.0.1 --port 8001

It follows the seed quickstart (a fresh ``SpecStar()``, ``configure()`` with the default
in-memory storage, ``Schema(Issue, "v1")``, ``apply(app)``), with the same indexed fields as
the Rust quickstart, and also calls ``spec.openapi(app)`` so that /openapi.json is complete.
"""

import warnings

warnings.filterwarnings("ignore")

from datetime import datetime  # noqa: E402
from typing import Literal  # noqa: E402

import msgspec  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from specstar import Schema, SpecStar  # noqa: E402


class Issue(msgspec.Struct):
    title: str
    description: str | None = None
    status: Literal["open", "in_progress", "resolved"] = "open"
    severity: Literal["low", "medium", "high"] = "medium"
    assignee: str | None = None
    due_date: datetime | None = None
    resolved_at: datetime | None = None


app = FastAPI(title="specstar reference (0.12.3) quickstart")

# A fresh instance rather than the global `spec`, so that re-imports do not re-register.
spec = SpecStar()
spec.configure()  # defaults: kebab model names, everything in memory
spec.add_model(Schema(Issue, "v1"), indexed_fields=["status", "severity", "assignee"])
spec.apply(app)
spec.openapi(app)
