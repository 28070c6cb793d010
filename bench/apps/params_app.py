"""A route whose parameters come from the path (an enum), a header, a cookie and the query string
(a repeated key and a constrained int): what the generated request decoder reads in compiled mode.

    .venv/bin/python -m bench.callgrind_requests --app bench.apps.params_app:app --routes params --mode compiled
"""

import enum
from typing import Optional

from astraapi import Cookie, FastAPI, Header, Query

app = FastAPI()


class Kind(str, enum.Enum):
    book = "book"
    pen = "pen"


@app.get("/search/{kind}")
def search(kind: Kind, x_token: str = Header(), session: Optional[str] = Cookie(None),
           tags: list[str] = Query([]), limit: int = Query(10, ge=1, le=100)):
    return {"kind": kind.value, "tags": len(tags), "limit": limit}
