"""The documentation site (mkdocs.yml, docs/, docs_src/) builds with `mkdocs build --strict`, offline (any
network access through a dead proxy), and the built pages load nothing from a CDN. Skipped, saying why,
when mkdocs or Material is not installed (they are in the `docs` and `test` extras)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import REPO_DIR

DOCS_SRC = REPO_DIR / "docs_src"
DEAD_PROXY = "http://127.0.0.1:9"


def _missing() -> str | None:
    for module in ("mkdocs", "material", "pymdownx"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install '.[docs]')"
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    why = _missing()
    if why:
        pytest.skip(why)
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY,
           "http_proxy": DEAD_PROXY, "https_proxy": DEAD_PROXY, "NO_PROXY": "", "no_proxy": ""}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return out


def _nav_pages() -> list[str]:
    text = (REPO_DIR / "mkdocs.yml").read_text()
    nav = text[text.index("\nnav:"):]
    return re.findall(r"([\w/-]+)\.md", nav)


def test_every_nav_page_is_built(site):
    pages = _nav_pages()
    assert len(pages) >= 20 and "getting-started" in pages and "internals" in pages
    for page in pages:
        assert (site / f"{page}.html").is_file(), page


def test_the_built_site_loads_nothing_from_the_network(site):
    external = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", re.I)
    css_url = re.compile(r"""url\(\s*["']?(?:https?:)?//""", re.I)
    for path in site.rglob("*"):
        if path.suffix == ".html":
            text = path.read_text(errors="replace")
            assert not external.search(text), (path, external.search(text).group(0))
        elif path.suffix == ".css":
            assert not css_url.search(path.read_text(errors="replace")), path
    assert (site / "search" / "search_index.js").is_file()  # the offline plugin's inlined index


def test_snippets_are_included(site):
    start = (site / "getting-started.html").read_text()
    assert "--8&lt;--" not in start and "--8<--" not in start
    assert "read_item" in start and "Hello World" in start
    assert "Requests/s" in (site / "performance.html").read_text()  # bench/RESULTS.md
    for page in site.rglob("*.html"):
        assert "--8&lt;--" not in page.read_text(errors="replace"), page


def test_every_docs_src_file_is_shown_and_every_python_example_is_run():
    pages = "".join(p.read_text() for p in (REPO_DIR / "docs").rglob("*.md"))
    runner = (Path(__file__).with_name("test_docs_src.py")).read_text()
    for path in sorted(DOCS_SRC.rglob("*")):
        if not path.is_file() or path.name == "__init__.py" or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(REPO_DIR).as_posix()
        assert f'--8<-- "{relative}"' in pages, f"{relative} is not included in any page"
        if path.suffix == ".py":
            dotted = path.relative_to(DOCS_SRC).with_suffix("").as_posix().replace("/", ".")
            assert dotted in runner, f"{relative} is not run by tests/docs/test_docs_src.py"
        else:
            assert path.name in runner, f"{relative} is not checked by tests/docs/test_docs_src.py"
