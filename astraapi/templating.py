"""`Jinja2Templates` (`fastapi.templating`): render Jinja2 templates into HTML responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import Any

import jinja2

from astraapi.responses import HTMLResponse

__all__ = ["Jinja2Templates"]


class _TemplateResponse(HTMLResponse):
    """An HTML response that keeps the template and the context it was rendered with (tests read them)."""

    def __init__(self, template: jinja2.Template, context: dict[str, Any], status_code: int = 200,
                 headers: Mapping[str, str] | None = None, media_type: str | None = None,
                 background: Any = None) -> None:
        self.template = template
        self.context = context
        super().__init__(template.render(context), status_code, headers, media_type, background)


class Jinja2Templates:
    """Templates from `directory` (or a ready `env`); `TemplateResponse(request, name, context)`
    renders one with `request` in its context. Autoescaping is on for HTML/XML templates."""

    def __init__(
        self,
        directory: str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
        *,
        context_processors: list[Callable[[Any], dict[str, Any]]] | None = None,
        env: jinja2.Environment | None = None,
    ) -> None:
        if bool(directory) == bool(env):
            raise TypeError("Jinja2Templates needs either 'directory' or 'env', not both")
        self.context_processors = context_processors or []
        if env is None:
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory),  # type: ignore[arg-type]
                                     autoescape=jinja2.select_autoescape())
        self.env = env
        self.env.globals.setdefault("url_for", _url_for)

    def get_template(self, name: str) -> jinja2.Template:
        return self.env.get_template(name)

    def TemplateResponse(  # noqa: N802 - FastAPI's name
        self,
        request: Any,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> _TemplateResponse:
        context = context or {}
        context.setdefault("request", request)
        for processor in self.context_processors:
            context.update(processor(request))
        return _TemplateResponse(self.get_template(name), context, status_code=status_code, headers=headers,
                                 media_type=media_type, background=background)


@jinja2.pass_context
def _url_for(context: Any, name: str, /, **path_params: Any) -> Any:
    request = context["request"]
    url_for = getattr(request, "url_for", None)
    if url_for is None:
        raise NotImplementedError("url_for() in templates needs Request.url_for, which AstraAPI does not provide yet")
    return url_for(name, **path_params)
