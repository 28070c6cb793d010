"""Form parameters read from the whole form, as FastAPI 0.165 reads them.

A `Form()` parameter typed with a pydantic model (`Model`, `Model | None`) or with a union of
models (`A | B`, `A | B | None`, members possibly `Annotated[A, Tag(...)]`) takes its fields from
the whole form, not from one key. This module describes such parameters once, at analysis:

- `FormField`: one form key reader (a model field, or a plain `Form()` parameter): the keys it is
  read from in order (its alias, or its `AliasChoices`; the field name too when the model
  validates by name) and whether every occurrence is read (a sequence field);
- `FormModel`: a model's fields, every key that says "this model was sent", its `extra` policy;
- `union_annotation`: a union's annotation with each model member wrapped so that it is first
  normalized from the form values on its own (`FormBranch`), and tagged with its name (or its own
  `Tag`) for error locations, as FastAPI rewrites it. The reading itself is `engine/form.py`'s.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, AliasPath, BaseModel, BeforeValidator, Json, Tag
from pydantic.fields import FieldInfo

from astraapi.introspection.annotations import _UNION_ORIGINS, _lenient_issubclass, is_sequence


@dataclasses.dataclass(frozen=True)
class FormField:
    """Where one value is read in a form: the first key of `aliases` with a non-empty value."""

    name: str
    aliases: tuple[str, ...]  # preferred first; the first is where a missing value is reported
    is_sequence: bool  # every occurrence (a Json field is read as one value)
    reads_file_bytes: bool = False  # a File() field typed bytes: the upload's content


@dataclasses.dataclass(frozen=True)
class FormModel:
    """A model whose fields are read from the whole form (the rest of the form is its extra input)."""

    model: type[BaseModel]
    fields: tuple[FormField, ...]
    names: frozenset[str]  # every key of every field: one of them present means the model was sent
    extra_policy: bool  # model_config extra is "allow" or "forbid": any key means it was sent


def is_json_field(field_info: FieldInfo) -> bool:
    return any(type(item) is Json for item in field_info.metadata)


def form_keys(name: str, field_info: FieldInfo, config: Any) -> tuple[str, ...]:
    """The keys a form value is read from, preferred first (FastAPI's `_get_param_aliases`)."""
    validation_alias = field_info.validation_alias
    alias = validation_alias if isinstance(validation_alias, str) and validation_alias else (
        field_info.alias if field_info.alias is not None else name)
    if isinstance(validation_alias, AliasPath):
        return (alias,)
    keys = [alias]
    if isinstance(validation_alias, AliasChoices):
        if any(isinstance(choice, AliasPath) for choice in validation_alias.choices):
            return (alias,)
        keys = [str(choice) for choice in validation_alias.choices]
    config = config or {}
    if config.get("validate_by_alias") is False:
        return (name,)
    if config.get("validate_by_name", config.get("populate_by_name", False)) and name not in keys:
        keys.append(name)
    return tuple(keys)


def _reads_file_bytes(field_info: FieldInfo) -> bool:
    from astraapi import params
    from astraapi.introspection.params import _is_bytes_annotation

    return isinstance(field_info, params.File) and _is_bytes_annotation(field_info.annotation)


def form_model(model: type[BaseModel]) -> FormModel:
    fields = []
    for name, info in model.model_fields.items():
        # FastAPI gives a field typed with a model (or dict, or dataclass) no config of its own
        annotation = info.annotation
        nested = _lenient_issubclass(annotation, (BaseModel, dict)) or dataclasses.is_dataclass(annotation)
        keys = form_keys(name, info, None if nested else model.model_config)
        fields.append(FormField(name, keys, is_sequence(annotation) and not is_json_field(info),
                                _reads_file_bytes(info)))
    return FormModel(model=model, fields=tuple(fields),
                     names=frozenset(key for field in fields for key in field.aliases),
                     extra_policy=model.model_config.get("extra") in ("allow", "forbid"))


def union_models(annotation: Any) -> list[type[BaseModel]]:
    """The models of a union of two or more models (None allowed, members may be Annotated)."""
    if get_origin(annotation) not in _UNION_ORIGINS:
        return []
    models = []
    for arg in get_args(annotation):
        if arg is type(None):
            continue
        if get_origin(arg) is Annotated:
            arg = get_args(arg)[0]
        if not _lenient_issubclass(arg, BaseModel):
            return []
        models.append(arg)
    return models if len(models) > 1 else []


def _single_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) in _UNION_ORIGINS:
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            annotation = next(arg for arg in args if arg is not type(None))
    return annotation if _lenient_issubclass(annotation, BaseModel) else None


def whole_form_models(marker: Any, field_info: FieldInfo) -> tuple[FormModel, ...]:
    """The models a `Form()` parameter reads from the whole form: one (a model or an optional
    one), several (a union of models), or none (a value read from its own key)."""
    from astraapi import params

    if not isinstance(marker, params.Form) or getattr(marker, "embed", False) or is_json_field(field_info):
        return ()
    annotation = field_info.annotation
    model = _single_model(annotation)
    if model is not None:
        return (form_model(model),)
    return tuple(form_model(m) for m in union_models(annotation))


class FormBranch:
    """One union member's before-validator: the form values (a dict of key -> value or list of
    values) read again for this model alone, so each member sees its own fields' shapes."""

    __slots__ = ("form_model",)

    def __init__(self, form_model: FormModel) -> None:
        self.form_model = form_model

    def __call__(self, value: Any) -> Any:
        from astraapi.engine.form import normalize_branch

        return normalize_branch(value, self.form_model)

    def __repr__(self) -> str:
        return f"FormBranch({self.form_model.model.__name__})"


def union_annotation(annotation: Any, models: tuple[FormModel, ...]) -> Any:
    """`annotation` (a union of models) with each member normalized from the form on its own and
    tagged (its own Tag, else the model's name) so union errors name the member."""
    by_model = {m.model: m for m in models}
    choices: list[Any] = []
    for choice in get_args(annotation):
        if choice is type(None):
            choices.append(choice)
            continue
        model, metadata = choice, ()
        if get_origin(choice) is Annotated:
            model, *rest = get_args(choice)
            metadata = tuple(rest)
        tag = next((item for item in reversed(metadata) if isinstance(item, Tag)), Tag(model.__name__))
        choices.append(Annotated[choice, BeforeValidator(FormBranch(by_model[model])), tag])
    return Union[tuple(choices)]  # noqa: UP007
