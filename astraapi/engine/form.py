"""Form bodies, read as FastAPI (Starlette with python-multipart) reads them.

`application/x-www-form-urlencoded`: fields split on `&` (empty chunks skipped), name and
value split on the first `=`, each `+`/percent-decoded from Latin-1 (Starlette's choice).

`multipart/form-data`: text fields (parts without a filename), values decoded with the
charset of the content type (UTF-8 by default), Starlette's limits and error messages. The
parser takes well-formed bodies (CRLF line ends, `--boundary` first): anything else is
answered 400 "Invalid multipart data." as Starlette answers data python-multipart rejects,
so a body python-multipart would still accept is the one place we differ. File parts (a
filename in the part's Content-Disposition) become UploadFile objects over a
SpooledTemporaryFile (1 MiB in memory), with the part's headers, as Starlette makes them.

Any other content type gives an empty form, as Starlette does for a type it does not parse.
"""

from __future__ import annotations

import codecs
from typing import Any
from urllib.parse import unquote_plus

from tempfile import SpooledTemporaryFile

from astraapi._starlette_compat import upload_file_class
from astraapi.datastructures import FormData, Headers, UploadFile
from astraapi.exceptions import HTTPException

MAX_FIELDS = 1000  # Starlette's default limits
MAX_FILES = 1000
MAX_PART_SIZE = 1024 * 1024
SPOOL_MAX_SIZE = 1024 * 1024


def _content_type(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1")
    return ""


def _split_params(value: str) -> list[str]:
    """`;`-separated parts of a header value, a `;` inside double quotes not splitting."""
    parts: list[str] = []
    rest = ";" + value
    while rest[:1] == ";":
        rest = rest[1:]
        end = rest.find(";")
        while end > 0 and (rest.count('"', 0, end) - rest.count('\\"', 0, end)) % 2:
            end = rest.find(";", end + 1)
        if end < 0:
            end = len(rest)
        part = rest[:end]
        if "=" in part:
            key, _, val = part.partition("=")
            part = key.rstrip(" \t").lower() + "=" + val.lstrip(" \t")
        parts.append(part.strip(" \t"))
        rest = rest[end:]
    return parts


def parse_options_header(value: str) -> tuple[str, dict[str, str]]:
    """("form-data", {"name": ...}) from `form-data; name="..."`, as python-multipart reads it."""
    if not value:
        return "", {}
    if ";" not in value:
        return value.lower().strip(" \t"), {}
    kind, *segments = _split_params(value)
    options: dict[str, str] = {}
    for segment in segments:
        key, _, val = segment.partition("=")
        if "*" in key:  # RFC 7578 forbids the extended syntax in form-data: ignored
            continue
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1].replace("\\\\", "\\").replace('\\"', '"')
        options[key] = val
    return kind.lower(), options


def _decode(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


def _invalid() -> HTTPException:
    return HTTPException(400, "Invalid multipart data.")


def parse_multipart(body: bytes, content_type: str, *, max_files: int = MAX_FILES, max_fields: int = MAX_FIELDS,
                    max_part_size: int = MAX_PART_SIZE) -> FormData:
    _, params = parse_options_header(content_type)
    charset = params.get("charset", "utf-8")
    try:
        charset = codecs.lookup(charset).name
    except LookupError:
        charset = "latin-1"
    boundary = params.get("boundary")
    if boundary is None:
        raise HTTPException(400, "Missing boundary in multipart.")
    delimiter = b"--" + boundary.encode("latin-1")
    body = body.lstrip(b"\r\n")  # python-multipart skips line breaks before the first delimiter
    if not body:
        return FormData()
    if not body.startswith(delimiter):
        raise _invalid()
    items: list[tuple[str, Any]] = []
    files: list[Any] = []
    try:
        return _parse_parts(body, delimiter, charset, items, files, max_files=max_files, max_fields=max_fields,
                            max_part_size=max_part_size)
    except BaseException:
        for file in files:
            file.close()
        raise


def _parse_parts(body: bytes, delimiter: bytes, charset: str, items: list[tuple[str, Any]],
                 files: list[Any], *, max_files: int = MAX_FILES, max_fields: int = MAX_FIELDS,
                 max_part_size: int = MAX_PART_SIZE) -> FormData:
    field_count = 0
    position = len(delimiter)
    separator = b"\r\n" + delimiter
    while True:
        if body.startswith(b"--", position):
            return FormData(items)  # the closing delimiter; what follows is the epilogue
        if body.startswith(b"\r\n", position):
            position += 2
        elif len(body) - position >= 2:
            raise _invalid()
        end = body.find(separator, position)
        after = end + len(separator)
        if end < 0 or len(body) - after < 2:
            return FormData(items)  # a truncated body: the unfinished part is dropped, as python-multipart does
        if body.startswith(b"\r\n", position):
            head_end, headers = position - 2, b""
        else:
            head_end = body.find(b"\r\n\r\n", position, end)
            if head_end < 0:
                raise _invalid()
            headers = body[position:head_end]
        disposition = None
        part_headers: list[tuple[bytes, bytes]] = []
        for line in headers.split(b"\r\n") if headers else ():
            name, colon, value = line.partition(b":")
            if not colon or not name:
                raise _invalid()
            name = name.strip().lower()
            value = value.lstrip(b" \t")
            if name == b"content-disposition":
                disposition = value.decode("latin-1")
            part_headers.append((name, value))
        data = body[head_end + 4:end]
        _, options = parse_options_header(disposition or "")
        if "name" not in options:
            raise HTTPException(400, 'The Content-Disposition header field "name" must be provided.')
        field_name = _decode(options["name"].encode("latin-1"), charset)
        if "filename" in options:
            if len(files) + 1 > max_files:
                raise HTTPException(400, f"Too many files. Maximum number of files is {max_files}.")
            filename = options["filename"]
            if filename[1:3] == ":\\" or filename[:2] == "\\\\":  # python-multipart: IE's full path
                filename = filename.split("\\")[-1]
            temporary = SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE)
            files.append(temporary)
            temporary.write(data)
            temporary.seek(0)
            upload = upload_file_class(UploadFile)(temporary, size=len(data),
                                                   filename=_decode(filename.encode("latin-1"), charset),
                                                   headers=Headers(part_headers))
            items.append((field_name, upload))
        else:
            field_count += 1
            if field_count > max_fields:
                raise HTTPException(400, f"Too many fields. Maximum number of fields is {max_fields}.")
            if len(data) > max_part_size:
                raise HTTPException(400, f"Part exceeded maximum size of {max_part_size // 1024}KB.")
            items.append((field_name, _decode(data, charset)))
        position = after


def parse_urlencoded(body: bytes, *, max_fields: int = MAX_FIELDS, max_part_size: int = MAX_PART_SIZE) -> FormData:
    items: list[tuple[str, str]] = []
    for chunk in body.split(b"&"):
        if not chunk:
            continue
        name, _, value = chunk.partition(b"=")
        if len(chunk) > max_part_size:
            raise HTTPException(400, f"Field exceeded maximum size of {max_part_size // 1024}KB.")
        items.append((unquote_plus(name.decode("latin-1")), unquote_plus(value.decode("latin-1"))))
        if len(items) > max_fields:
            raise HTTPException(400, f"Too many fields. Maximum number of fields is {max_fields}.")
    return FormData(items)


def read_form(body: bytes, headers: list[tuple[bytes, bytes]], limits: Any = None) -> FormData:
    """The body as a form; `limits`: FastAPI 0.165's form_limits (max_fields, max_files, max_part_size),
    Starlette's defaults for the ones not given."""
    content_type = _content_type(headers)
    media_type = parse_options_header(content_type)[0]
    limits = limits or {}
    max_fields = limits.get("max_fields", MAX_FIELDS)
    max_part_size = limits.get("max_part_size", MAX_PART_SIZE)
    if media_type == "application/x-www-form-urlencoded":
        return parse_urlencoded(body, max_fields=max_fields, max_part_size=max_part_size)
    if media_type == "multipart/form-data":
        return parse_multipart(body, content_type, max_files=limits.get("max_files", MAX_FILES),
                               max_fields=max_fields, max_part_size=max_part_size)
    return FormData()


def form_value(form: FormData, alias: str, is_sequence: bool) -> Any:
    """The raw value of one form field, or MISSING: empty strings and empty lists count as absent."""
    from astraapi.engine.body import MISSING

    if is_sequence:
        values = [v for v in form.getlist(alias) if not _empty_file(v)]
        return values if values else MISSING
    value = form.get(alias)
    if value is None or value == "" or _empty_file(value):
        return MISSING
    return value


def _empty_file(value: Any) -> bool:
    """What a browser sends for a file input left empty: no filename, no content."""
    return isinstance(value, UploadFile) and value.filename == "" and value.size == 0


async def read_file_bytes(file: UploadFile) -> bytes:
    """A File() bytes parameter's content, the file's position kept (it may be shared)."""
    position = file.file.tell()
    try:
        return await file.read()
    finally:
        await file.seek(position)


# --------------------------------------------------------------------------- reading fields from a form


def field_value(form: FormData, field: Any) -> tuple[str, Any]:
    """(key, raw value) of a FormField: its first key with a non-empty value, else (its first key,
    MISSING). An empty string or empty file input counts as absent."""
    from astraapi.engine.body import MISSING

    for key in field.aliases:
        value = form_value(form, key, field.is_sequence)
        if value is not MISSING:
            return key, value
    return field.aliases[0], MISSING


def upload_contents(raw: Any) -> Any:
    """A File() bytes value: each upload's content, its position kept (it may be shared)."""

    def content(item: Any) -> Any:
        if not isinstance(item, UploadFile):
            return item
        position = item.file.tell()
        try:
            return item.file.read()
        finally:
            item.file.seek(position)

    return [content(item) for item in raw] if isinstance(raw, list) else content(raw)


def _items(fields: Any, form: FormData, read_files: bool = True) -> dict[str, Any]:
    """FastAPI's reading of a form for a set of fields: each field's value under the key it was
    found at, then every key no field tried (its value, or its values when repeated), for the
    model's `extra` policy. A field's later choices, untried once one matched, stay extras."""
    from astraapi.engine.body import MISSING

    values: dict[str, Any] = {}
    tried: set[str] = set()
    for field in fields:
        for key in field.aliases:
            tried.add(key)
            value = form_value(form, key, field.is_sequence)
            if value is not MISSING:
                if read_files and field.reads_file_bytes:
                    value = upload_contents(value)
                values[key] = value
                break
    grouped: dict[str, list[Any]] = {}
    for key, item in form.multi_items():
        if key not in tried:
            grouped.setdefault(key, []).append(item)
    for key, items in grouped.items():
        values[key] = items[0] if len(items) == 1 else items
    return values


def _supplied(form_model: Any, form: FormData) -> bool:
    """Whether the form carries the model: one of its keys, or (extra allow/forbid) any key."""
    return any(key in form_model.names for key in form.keys()) or (form_model.extra_policy and len(form) > 0)


def read_whole_form(models: tuple[Any, ...], optional: bool, form: FormData) -> Any:
    """The value a form-model parameter validates: MISSING for an optional one no model of which
    was sent; a model's fields (plus the other keys) for one model; for a union, every key with
    its value(s) as sent, each member normalizing it on its own (`normalize_branch`)."""
    from astraapi.engine.body import MISSING

    if optional and not any(_supplied(m, form) for m in models):
        return MISSING
    return _items(models[0].fields if len(models) == 1 else (), form)


def normalize_branch(value: Any, form_model: Any) -> Any:
    """One union member's view of the form values: read again for its fields alone (repeated
    values split back into entries). None and empty lists cannot come from a form, only from a
    validator before this one: they are kept as given."""
    if not isinstance(value, dict):
        return value
    form = FormData([(key, item) for key, items in value.items()
                     for item in (items if isinstance(items, list) else [items])])
    normalized = _items(form_model.fields, form, read_files=False)
    for key, item in value.items():
        if item is None or (isinstance(item, list) and not item):
            normalized[key] = item
    return normalized
