"""scripts/try_template/tool.py: the pieces of scripts/try_template.sh that decide something (the
script itself needs the network and PostgreSQL, so it is not run here)."""

import subprocess
import sys
import textwrap

from support.paths import REPO_DIR

TOOL = REPO_DIR / "scripts" / "try_template" / "tool.py"


def run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True)


def test_backport_makes_python_3_14_code_run_here(tmp_path):
    module = tmp_path / "pkg" / "models.py"
    module.parent.mkdir()
    module.write_text(textwrap.dedent('''\
        class Owner:
            pets: list[Pet] = []  # a forward reference, fine under PEP 649
            best: Pet | None = None


        class Pet:
            owner: Owner | None = None


        def parse(text):
            try:
                return int(text)
            except ValueError, TypeError:
                return None
    '''))
    untouched = tmp_path / "pkg" / "other.py"
    untouched.write_text("from __future__ import annotations\n\n\nclass A:\n    b: B\n\n\nclass B:\n    pass\n")
    before = untouched.read_text()

    result = run("backport", tmp_path / "pkg")
    assert result.returncode == 0, result.stderr
    assert "backported models.py" in result.stdout and "other.py" not in result.stdout
    text = module.read_text()
    assert 'pets: list["Pet"] = []  # a forward reference' in text
    assert 'best: "Pet | None" = None' in text  # not "Pet" | None: str | None fails
    assert "except (ValueError, TypeError):" in text
    assert untouched.read_text() == before  # annotations there are strings already
    namespace = {}
    exec(compile(text, str(module), "exec"), namespace)
    assert namespace["parse"]("x") is None and namespace["parse"]("3") == 3
    assert run("backport", tmp_path / "pkg").stdout.startswith("backport: 0 files changed")  # idempotent


def test_constraints_and_lifting_a_pin(tmp_path):
    lock = tmp_path / "uv.lock"
    lock.write_text(textwrap.dedent('''\
        version = 1
        [[package]]
        name = "app"
        version = "0.1.0"
        source = { editable = "backend" }
        [[package]]
        name = "puremagic"
        version = "2.2.0"
        source = { registry = "https://registry.example/simple" }
        [[package]]
        name = "emails"
        version = "1.1.2"
        source = { registry = "https://registry.example/simple" }
    '''))
    result = run("constraints", lock)
    assert result.stdout.split() == ["puremagic==2.2.0", "emails==1.1.2"]
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(result.stdout)
    log = tmp_path / "pip.log"
    log.write_text("The conflict is caused by:\n    emails 1.1.2 depends on puremagic\n"
                   "    The user requested (constraint) puremagic==2.2.0\n")
    assert run("drop-pin", constraints, log).returncode == 0
    assert constraints.read_text().split() == ["emails==1.1.2"]
    log.write_text("ERROR: something else\n")
    assert run("drop-pin", constraints, log).returncode == 1  # nothing to lift: the script stops
