"""What FastAPI refuses or warns about when a route is declared, refused or warned about at the same
point (the decorator, the marker's call) with FastAPI's message and the user's file:line; and FastAPI's
helpers that validate one location's parameters (`request_params_to_args`, `request_body_to_args`)."""

import asyncio
import sys
import warnings
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict

from astraapi import Body, Depends, FastAPI, Form, Header, Path, Query
from astraapi.datastructures import Default, DefaultPlaceholder, FormData, Headers, QueryParams
from astraapi.dependencies.utils import get_dependant, request_body_to_args, request_params_to_args
from astraapi.exceptions import FastAPIDeprecationWarning, InvalidDeclarationError, PydanticV1NotSupportedError


def _line(offset: int = 0) -> int:
    return sys._getframe(1).f_lineno + offset


def test_a_path_parameter_of_a_list_type_is_refused_at_the_decorator_with_file_and_line():
    app = FastAPI()
    with pytest.raises(AssertionError, match="Path params must be of one of the supported types") as caught:
        line = _line(1)
        @app.get("/items/{item_id}")
        def read(item_id: list[int]):
            return item_id
    assert isinstance(caught.value, InvalidDeclarationError)
    assert f"{__file__}:{line}" in str(caught.value)
    assert app.routes == [] or all(getattr(r, "path", "") != "/items/{item_id}" for r in app.routes)


def test_a_query_parameter_of_models_is_refused_at_the_decorator():
    class Item(BaseModel):
        title: str

    app = FastAPI()
    with pytest.raises(AssertionError, match="Query parameter 'q' must be one of the supported types"):
        @app.get("/")
        def read(q: list[Item] = Query(default=None)):
            return q


def test_markers_in_annotated_are_checked_as_fastapi_checks_them():
    app = FastAPI()

    def dep():
        return 1

    with pytest.raises(AssertionError, match="`Query` default value cannot be set in `Annotated` for 'q'"):
        @app.get("/a")
        def a(q: Annotated[int, Query(default=1)]):
            return q
    with pytest.raises(AssertionError, match="Cannot specify `Depends` in `Annotated` and default value together"):
        @app.get("/b")
        def b(foo: Annotated[int, Depends(dep)] = Depends(dep)):
            return foo
    with pytest.raises(AssertionError, match="Path parameters cannot have a default value"):
        Path(default=1)
    with pytest.raises(AssertionError, match="Cannot use `Query` for path param 'item_id'"):
        @app.get("/c/{item_id}")
        def c(item_id: Annotated[int, Query()]):
            return item_id


def test_a_dependency_s_parameters_are_checked_too():
    app = FastAPI()

    def dep(item_id: dict):
        return item_id

    with pytest.raises(AssertionError, match="Path params must be of one of the supported types"):
        @app.get("/items/{item_id}")
        def read(value: Annotated[Any, Depends(dep)]):
            return value


def test_pydantic_v1_models_are_refused_at_the_decorator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydantic import v1

    class Old(v1.BaseModel):
        name: str

    app = FastAPI()
    with pytest.raises(PydanticV1NotSupportedError):
        @app.post("/param")
        def param(data: list[Old]):
            return data
    with pytest.raises(PydanticV1NotSupportedError):
        @app.get("/return")
        def returned() -> Old | None:
            return None
    with pytest.raises(PydanticV1NotSupportedError):
        @app.get("/responses", responses={404: {"model": Old}})
        def responses():
            return None


def test_regex_and_example_warn_at_the_user_s_line():
    with pytest.warns(FastAPIDeprecationWarning, match="`regex` has been deprecated") as record:
        line = _line(1)
        Query(regex="^a$")
    assert record[0].filename == __file__ and record[0].lineno == line
    with pytest.warns(FastAPIDeprecationWarning, match="`example` has been deprecated") as record:
        line = _line(1)
        Body(example=1)
    assert record[0].filename == __file__ and record[0].lineno == line


def test_an_explicit_none_in_a_marker_overrides_a_field_beside_it():
    from pydantic import Field

    marker = Query(alias="x")
    assert (marker.alias, marker.validation_alias, marker.serialization_alias) == ("x", "x", "x")
    cleared = Query(alias=None)
    assert "alias" in cleared._attributes_set and cleared.alias is None
    app = FastAPI()

    @app.get("/")
    def read(v: Annotated[int, Field(alias="original"), Query(alias=None)]):
        return v

    dependant = get_dependant(path="/", call=read)
    assert dependant.query_params[0].alias == "v"


def test_request_params_to_args_validates_a_parameter_model_once_per_key():
    class Model(BaseModel):
        model_config = ConfigDict(extra="forbid")
        value: str = "default"

    def endpoint(data: Annotated[Model, Query()], x_token: Annotated[str, Header()]):
        return data

    dependant = get_dependant(path="/", call=endpoint)
    values, errors = request_params_to_args(dependant.query_params, QueryParams("other=1&other=2"))
    assert values == {}
    assert [(e["type"], e["loc"], e["input"]) for e in errors] == [("extra_forbidden", ("query", "other"), ["1", "2"])]
    values, errors = request_params_to_args(dependant.header_params, Headers([(b"x-token", b"t")]))
    assert (values, errors) == ({"x_token": "t"}, [])
    values, errors = request_params_to_args(dependant.header_params, Headers([]))
    assert [(e["type"], e["loc"]) for e in errors] == [("missing", ("header", "x-token"))]


def test_request_body_to_args_reads_json_and_forms():
    def endpoint(a: Annotated[int, Body()], b: Annotated[int, Body()] = 2):
        return a + b

    dependant = get_dependant(path="/", call=endpoint)
    values, errors = asyncio.run(request_body_to_args(dependant.body_params, {"a": 1}, True))
    assert (values, errors) == ({"a": 1, "b": 2}, [])
    values, errors = asyncio.run(request_body_to_args(dependant.body_params, {"a": "x"}, True))
    assert values == {"b": 2} and [(e["type"], e["loc"]) for e in errors] == [("int_parsing", ("body", "a"))]

    def form_endpoint(name: Annotated[str, Form()] = "default"):
        return name

    form_fields = get_dependant(path="/", call=form_endpoint).body_params
    values, errors = asyncio.run(request_body_to_args(form_fields, FormData([("name", "ann")]), False))
    assert (values, errors) == ({"name": "ann"}, [])
    values, errors = asyncio.run(request_body_to_args(form_fields, FormData([("name", "")]), False))
    assert (values, errors) == ({"name": "default"}, [])


def test_request_body_to_args_reads_form_models_and_unions():
    """Form models, unions of them and AliasChoices keys, read as the engine reads a form."""
    from typing import Literal, Union

    from pydantic import AliasChoices, BaseModel

    class Text(BaseModel):
        kind: Literal["text"]
        value: str

    class Many(BaseModel):
        kind: Literal["list"]
        value: list[str]

    def endpoint(data: Annotated[Union[Text, Many], Form()],
                 token: Annotated[str, Form(validation_alias=AliasChoices("token", "key"))]):
        return data

    fields = get_dependant(path="/", call=endpoint).body_params
    form = FormData([("kind", "list"), ("value", ""), ("value", "b"), ("token", ""), ("key", "k")])
    values, errors = asyncio.run(request_body_to_args(fields, form, True))
    assert errors == [] and values["data"] == Many(kind="list", value=["", "b"]) and values["token"] == "k"
    values, errors = asyncio.run(request_body_to_args(fields, FormData([("kind", "text"), ("value", "")]), True))
    assert [(e["type"], e["loc"]) for e in errors] == [  # FastAPI 0.165's errors (an empty item stays a list item)
        ("missing", ("body", "Text", "value")), ("literal_error", ("body", "Many", "kind")),
        ("missing", ("body", "token"))]


def test_default_placeholder():
    assert Default("a") == Default("a") and Default("a") != Default("b")
    assert isinstance(Default(1), DefaultPlaceholder)
    assert Default("a") and not Default("")


def test_a_request_scoped_yield_dependency_on_a_function_scoped_one_is_refused_at_the_decorator():
    from astraapi.exceptions import DependencyScopeError

    def inner():
        yield 1

    def outer(value: Annotated[int, Depends(inner, scope="function")]):
        yield value

    app = FastAPI()
    with pytest.raises(DependencyScopeError, match='The dependency "outer" has a scope of "request"'):
        @app.get("/")
        def read(value: Annotated[int, Depends(outer)]):
            return value
    assert not [route for route in app.routes if getattr(route, "path", None) == "/"]

    @app.get("/fine")
    def fine(value: Annotated[int, Depends(outer, scope="function")]):
        return value


class _NotAModel:
    pass


@pytest.mark.parametrize("declare", [
    lambda app: app.get("/", response_model=_NotAModel),
    lambda app: app.get("/", response_model=list[_NotAModel]),
    lambda app: app.get("/", responses={"500": {"model": _NotAModel}}),
    lambda app: app.get("/", responses={"500": {"model": dict[str, _NotAModel]}}),
])
def test_a_response_model_pydantic_cannot_describe_is_refused_at_the_decorator(declare):
    from astraapi.exceptions import FastAPIError

    app = FastAPI()
    with pytest.raises(FastAPIError, match="not a valid Pydantic field type") as caught:
        @declare(app)
        def read():
            return None
    assert f"{__file__}:" in str(caught.value)  # the line of the app.get(...) call (the lambda above)


def test_a_response_in_a_union_return_annotation_is_refused_but_a_response_class_alone_is_not():
    from astraapi.exceptions import FastAPIError
    from astraapi.responses import JSONResponse, Response

    app = FastAPI()
    with pytest.raises(FastAPIError, match="response_model=None"):
        @app.get("/")
        def maybe() -> Response | None:
            return None

    @app.get("/plain")
    def plain() -> JSONResponse:
        return JSONResponse({})

    @app.get("/opt-out", response_model=None)
    def opt_out() -> Response | None:
        return None


def test_ordinary_response_models_are_accepted_without_importing_pydantic():
    import subprocess
    import textwrap

    code = textwrap.dedent("""
        import dataclasses, datetime, decimal, enum, sys, uuid
        from typing import Literal, Optional, TypedDict
        from astraapi import FastAPI

        class Color(enum.Enum):
            red = "red"

        @dataclasses.dataclass
        class Point:
            x: int

        class Movie(TypedDict):
            title: str

        app = FastAPI()

        @app.get("/a")
        def a() -> dict[str, list[Optional[datetime.datetime]]]: ...

        @app.get("/b", response_model=tuple[uuid.UUID, decimal.Decimal, Color, Literal["x"]])
        def b(): ...

        @app.get("/c")
        def c() -> list[Point | Movie]: ...

        assert "pydantic" not in sys.modules, "declaring ordinary response models imported pydantic"
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
