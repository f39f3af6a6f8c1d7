"""The layer contract (pyproject.toml, checked by import-linter in CI) holds, catches a wrong
import, and its sibling lists name every module, so a new module cannot slip past them."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")
PUBLIC = {"messaging": {"messaging.consent", "messaging.history"}, "contacts": {"contacts.recipients"}}


def _contracts():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def _modules(package):
    names = {p.stem for p in (ROOT / package).glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in (ROOT / package).iterdir() if (p / "__init__.py").exists()}
    return {f"{package}.{name}" for name in names}


@pytest.mark.parametrize(
    ("contract", "package"),
    [
        ("contacts-to-messaging", "messaging"),
        ("messaging-to-contacts", "contacts"),
        ("voice-to-contacts", "contacts"),
    ],
)
def test_the_sibling_lists_name_every_module(contract, package):
    closed = set(_contracts()[contract]["forbidden_modules"])
    assert _modules(package) - closed - PUBLIC[package] == set(), "add the new module to the contract's list"
    assert closed & PUBLIC[package] == set()
    assert closed <= _modules(package), "the contract names a module that is gone"


# Voice's doors into messaging: consent, and the SMS channel's sending and test numbers.
VOICE_PUBLIC = {"messaging.consent", "messaging.channels", "messaging.channels.sms"}
VOICE_PUBLIC_SMS = {"messaging.channels.sms.sending", "messaging.channels.sms.test_numbers"}


def test_the_voice_list_names_every_messaging_module():
    closed = set(_contracts()["voice-to-messaging"]["forbidden_modules"])
    everything = _modules("messaging") | _modules("messaging/channels") | _modules("messaging/channels/sms")
    everything = {name.replace("/", ".") for name in everything}
    open_doors = VOICE_PUBLIC | VOICE_PUBLIC_SMS
    assert everything - closed - open_doors == set(), "add the new module to the voice contract's list"
    assert closed & open_doors == set()
    assert closed <= everything, "the contract names a module that is gone"


def _lint(cwd):
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_code_keeps_the_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize(
    ("module", "wrong_import", "broken"),
    [
        ("portal/core/errors.py", "import accounts.models", "Layers"),
        ("accounts/services/team.py", "import messaging.pipeline.models", "Layers"),
        ("contacts/services/tags.py", "import messaging.suppressions.models", "contacts reaches messaging"),
        ("messaging/pipeline/scrub.py", "import messaging.channels.sms.adapter", "the pipeline does not import"),
        ("voice/services/cdr.py", "import messaging.pipeline.models", "voice reaches messaging only"),
        ("voice/services/cdr.py", "import messaging.channels.sms.models", "voice reaches messaging only"),
        ("voice/services/cdr.py", "import contacts.models", "voice reaches contacts only"),
    ],
)
def test_a_wrong_import_breaks_the_build(tmp_path, module, wrong_import, broken):
    for package in ("portal", "accounts", "contacts", "messaging", "voice"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{wrong_import}  # deliberately wrong\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout
