"""Pydantic-facing helpers under FastAPI's module path (`fastapi._compat`).

FastAPI's tests and several libraries built on FastAPI (sqlmodel, fastapi-users, fastapi-pagination, ...)
import these names. They are plain helpers over pydantic 2; AstraAPI's own request path does not use them
(it reads the App IR). `shared` holds the annotation predicates, `v2` the pydantic-2 field wrapper."""

from astraapi._compat.shared import PYDANTIC_V2 as PYDANTIC_V2
from astraapi._compat.shared import PYDANTIC_VERSION as PYDANTIC_VERSION
from astraapi._compat.shared import PYDANTIC_VERSION_MINOR_TUPLE as PYDANTIC_VERSION_MINOR_TUPLE
from astraapi._compat.shared import annotation_is_pydantic_v1 as annotation_is_pydantic_v1
from astraapi._compat.shared import field_annotation_is_complex as field_annotation_is_complex
from astraapi._compat.shared import field_annotation_is_scalar as field_annotation_is_scalar
from astraapi._compat.shared import field_annotation_is_scalar_sequence as field_annotation_is_scalar_sequence
from astraapi._compat.shared import field_annotation_is_sequence as field_annotation_is_sequence
from astraapi._compat.shared import is_bytes_or_nonable_bytes_annotation as is_bytes_or_nonable_bytes_annotation
from astraapi._compat.shared import is_bytes_sequence_annotation as is_bytes_sequence_annotation
from astraapi._compat.shared import is_pydantic_v1_model_class as is_pydantic_v1_model_class
from astraapi._compat.shared import is_pydantic_v1_model_instance as is_pydantic_v1_model_instance
from astraapi._compat.shared import (
    is_uploadfile_or_nonable_uploadfile_annotation as is_uploadfile_or_nonable_uploadfile_annotation,
)
from astraapi._compat.shared import is_uploadfile_sequence_annotation as is_uploadfile_sequence_annotation
from astraapi._compat.shared import lenient_issubclass as lenient_issubclass
from astraapi._compat.shared import sequence_types as sequence_types
from astraapi._compat.shared import value_is_sequence as value_is_sequence
from astraapi._compat.v2 import BaseConfig as BaseConfig
from astraapi._compat.v2 import ErrorWrapper as ErrorWrapper
from astraapi._compat.v2 import ModelField as ModelField
from astraapi._compat.v2 import PydanticSchemaGenerationError as PydanticSchemaGenerationError
from astraapi._compat.v2 import RequiredParam as RequiredParam
from astraapi._compat.v2 import Undefined as Undefined
from astraapi._compat.v2 import UndefinedType as UndefinedType
from astraapi._compat.v2 import Url as Url
from astraapi._compat.v2 import Validator as Validator
from astraapi._compat.v2 import _model_dump as _model_dump
from astraapi._compat.v2 import _regenerate_error_with_loc as _regenerate_error_with_loc
from astraapi._compat.v2 import copy_field_info as copy_field_info
from astraapi._compat.v2 import create_body_model as create_body_model
from astraapi._compat.v2 import evaluate_forwardref as evaluate_forwardref
from astraapi._compat.v2 import get_cached_model_fields as get_cached_model_fields
from astraapi._compat.v2 import get_compat_model_name_map as get_compat_model_name_map
from astraapi._compat.v2 import get_definitions as get_definitions
from astraapi._compat.v2 import get_flat_models_from_fields as get_flat_models_from_fields
from astraapi._compat.v2 import get_missing_field_error as get_missing_field_error
from astraapi._compat.v2 import get_model_fields as get_model_fields
from astraapi._compat.v2 import get_model_name_map as get_model_name_map
from astraapi._compat.v2 import get_schema_from_model_field as get_schema_from_model_field
from astraapi._compat.v2 import is_scalar_field as is_scalar_field
from astraapi._compat.v2 import serialize_sequence_value as serialize_sequence_value
from astraapi._compat.v2 import with_info_plain_validator_function as with_info_plain_validator_function
