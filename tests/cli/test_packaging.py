"""The source distribution (scikit-build-core's build_sdist, what `python -m build --sdist` calls) has what a
build on a fresh machine needs, the typing marker, and nothing built or local."""

import subprocess
import sys
import tarfile

import pytest

from support.paths import REPO_DIR


def test_sdist_file_list(tmp_path):
    pytest.importorskip("scikit_build_core")
    done = subprocess.run([sys.executable, "-c", "import sys, scikit_build_core.build as b; "
                           "print(b.build_sdist(sys.argv[1]))", str(tmp_path)],
                          cwd=REPO_DIR, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    name = done.stdout.strip().splitlines()[-1]
    with tarfile.open(tmp_path / name) as archive:
        files = {member.name.split("/", 1)[1] for member in archive.getmembers() if member.isfile()}
    for needed in ("pyproject.toml", "CMakeLists.txt", "LICENSE", "README.md", "cmake/native_deps.py",
                   "astraapi/__init__.py", "astraapi/py.typed", "astraapi/migrate.py",
                   "runtime_cpp/include/astraapi/abi.h"):
        assert needed in files, needed
    assert any(f.startswith("templates/") and f.endswith(".j2") for f in files)
    assert any(f.startswith("runtime_cpp/src/") and f.endswith(".cpp") for f in files)
    for path in files:
        assert not path.endswith((".so", ".o", ".pyc")), path
        assert not path.startswith((".venv", "build/", ".astraapi/", "site/")), path
