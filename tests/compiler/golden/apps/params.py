"""Golden app: a route whose request decoder reads header, cookie and list parameters, an enum,
a uuid, a date and a constrained int, so the emitted decoders.cpp shows each kind of step."""

import datetime
import enum
import uuid
from typing import Optional

from astraapi import Cookie, FastAPI, Header, Query

app = FastAPI(openapi_url=None)


class Color(str, enum.Enum):
    red = "red"
    blue = "blue"


@app.get("/items/{item_id}")
def read_items(item_id: uuid.UUID, x_token: str = Header(), session: Optional[str] = Cookie(None),
               tags: list[str] = Query([]), ids: Optional[list[int]] = Query(None, max_length=10),
               color: Color = Color.red, day: Optional[datetime.date] = None,
               page: int = Query(1, ge=1, multiple_of=1), x_ids: list[int] = Header([]),
               code: Optional[str] = Query(None, pattern="^[a-z]+$", max_length=8)):
    return None
