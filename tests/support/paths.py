from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = TESTS_DIR.parent
APPS_DIR = TESTS_DIR / "apps"
MODES = ("dynamic", "compiled")
