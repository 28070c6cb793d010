"""`astraapi inspect` says why a route with response_model_include/_exclude keeps pydantic's serializer,
and why a route of a custom route class (overriding get_route_handler) is not called directly."""

from support.paths import APPS_DIR
from support.servers import run_cli


def _inspect(route: str, build_dir) -> str:
    done = run_cli(["inspect", "compat_route_classes_app:app", "--route", route, "--build-dir", str(build_dir)],
                   cwd=APPS_DIR)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_include_exclude_routes_name_their_generic_serializer(tmp_path):
    out = _inspect("/include-set", tmp_path)
    assert "generic path: response_model_include/response_model_exclude: pydantic chooses the fields" in out


def test_a_route_class_overriding_get_route_handler_is_not_called_directly(tmp_path):
    out = _inspect("/timed/items/{item_id}", tmp_path)
    assert "direct call: no: its route class compat_route_classes_app.TimedRoute overrides get_route_handler" in out
    # a subclass that keeps APIRoute's handler is an ordinary route
    assert "route class" not in _inspect("/tagged", tmp_path)
