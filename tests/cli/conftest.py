# fixtures/ holds projects for `astraapi migrate` and `routes`: a FastAPI project's own tests are run by
# tests/cli/test_migrate.py (after migration, in a subprocess), not collected here.
collect_ignore = ["fixtures"]
