"""Instructions per request spent decoding a body of the wider field types (literal, tuples, sets,
keyed dicts, time, timedelta, unions, a plain pattern): like bench/decode_cost.py, for a model of
its own (below), so the benchmark app's routes stay as they are.

    MODULE=bench.decode_cost_wide bash bench/decode_cost.sh
"""

from __future__ import annotations

import datetime
import enum
import sys
import tempfile
from pathlib import Path
from typing import Literal, Optional, Union

from pydantic import BaseModel, Field

from astraapi import FastAPI
from bench.decode_cost import _Request


class Color(str, enum.Enum):
    red = "red"
    blue = "blue"


class Line(BaseModel):
    sku: str = Field(pattern="^[A-Z]{3}-[0-9]+$")
    quantity: int = 1


class Order(BaseModel):
    status: Literal["new", "paid", "sent"] = "new"
    point: tuple[float, float]
    codes: tuple[int, ...] = ()
    flags: set[Color] = set()
    by_id: dict[int, Line] = {}
    opens: Optional[datetime.time] = None
    ttl: datetime.timedelta = datetime.timedelta(0)
    ref: Union[int, str] = 0
    lines: Union[Line, list[Line], None] = None


app = FastAPI()


@app.post("/orders")
def create_order(order: Order):
    return None


BODY = (b'{"status":"paid","point":[1.5,-2],"codes":[1,2,3],"flags":["red","blue","red"],'
        b'"by_id":{"1":{"sku":"ABC-1"},"2":{"sku":"XYZ-22","quantity":3}},"opens":"09:30:00",'
        b'"ttl":3600,"ref":"A-17","lines":[{"sku":"ABC-1"},{"sku":"DEF-2","quantity":2}]}')


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2])
    from astraapi.compiler.build import BuildOptions, build
    from astraapi.server.build_loader import load_build
    from astraapi.introspection.app import build_ir
    from astraapi.engine.executor import Executor

    ir = build_ir(app, app_ref="bench.decode_cost_wide:app")
    decoders = None
    if mode == "compiled":
        folder = Path(tempfile.mkdtemp(prefix="astraapi-decode-cost-"))
        build(ir, BuildOptions(build_dir=folder))
        decoders = load_build(ir, folder).decoders
    executor = Executor(app, ir, compiled_decoders=decoders)
    route = next(r for r in ir.routes if r.path == "/orders")
    plan = executor._plans[route.index]
    assert (plan.decoder is not None) == (mode == "compiled"), "the build has no body decoder for POST /orders"
    request = _Request(BODY, [(b"content-type", b"application/json")])
    values, errors = plan.solve(request, ())
    assert not errors and values["order"] == Order.model_validate_json(BODY)
    for _ in range(count):
        plan.solve(request, ())


if __name__ == "__main__":
    main()
