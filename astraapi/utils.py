"""Helpers FastAPI exposes in `fastapi.utils` that apps import (e.g. for `generate_unique_id_function`)."""

from astraapi.introspection.openapi_schema import generate_unique_id as generate_unique_id
from astraapi.openapi.utils import deep_dict_update as deep_dict_update
from astraapi.openapi.utils import is_body_allowed_for_status_code as is_body_allowed_for_status_code
from astraapi.datastructures import get_value_or_default as get_value_or_default
