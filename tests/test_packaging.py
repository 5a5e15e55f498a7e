"""The packages as a user installs them (SPEC §14): the wheel in a fresh virtualenv outside the
checkout, the desktop entry and AppStream metainfo, the icons, and with CI_PACKAGES=1 the
PyInstaller folder and the .deb installed with dpkg."""

from __future__ import annotations

import configparser
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from oncall_desktop import __version__
from oncall_desktop.resources import ICON_NAME
from oncall_desktop.views.app import DESKTOP_FILE
from tests.helpers_station import free_port

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / f"{DESKTOP_FILE}.desktop"
METAINFO = PACKAGING / f"{DESKTOP_FILE}.metainfo.xml"
CI_PACKAGES = os.environ.get("CI_PACKAGES") == "1"

pytestmark = pytest.mark.packages


def run(*args: str | Path, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def readme_example(tmp: Path) -> Path:
    """The configuration example in the README, as a user would copy it."""
    text = (ROOT / "README.md").read_text()
    found = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert found, "the README has no yaml example"
    path = tmp / "team.yaml"
    path.write_text(found.group(1))
    return path


def start_offscreen(executable: str | Path, home: Path, expect_under: Path) -> tuple[list[str], int]:
    """Load the README's team with the installed CLI (a new store: migrations run), then run the
    installed app offscreen until its station is up (the alarm sound loaded, the intake listening)
    and SIGTERM it; its log lines and exit status."""
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        "QT_QPA_PLATFORM": "offscreen",
        "ONCALL_DESKTOP_DB": f"sqlite:///{home / 'oncall.db'}",
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    team = readme_example(home)
    team.write_text(team.read_text() + f'settings:\n  station: {{listen: "127.0.0.1:{free_port()}"}}\n')
    applied = subprocess.run(
        [str(executable), "config", "apply", str(team)], cwd=home, env=env, capture_output=True, text=True
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    app = subprocess.Popen(
        [str(executable), "--verbose"], cwd=home, env=env, stderr=subprocess.PIPE, text=True
    )
    assert app.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    try:
        with selectors.DefaultSelector() as waiting:
            waiting.register(app.stderr, selectors.EVENT_READ)
            while not any("station intake listening" in x for x in lines):
                if not waiting.select(timeout=max(0.0, deadline - time.monotonic())):
                    break  # nothing said in time
                line = app.stderr.readline()
                if not line:
                    break  # it ended
                lines.append(line.rstrip())
        app.send_signal(signal.SIGTERM)
        status = app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    sound = [x for x in lines if "alarm sound: " in x]
    assert sound, "\n".join(lines)
    path = Path(sound[0].split("alarm sound: ", 1)[1].rsplit(" (", 1)[0])
    assert path.is_relative_to(expect_under), path
    assert path.parts[-3:] == ("oncall_desktop", "resources", "alarm.wav")
    assert any("station intake listening" in x for x in lines), "\n".join(lines)
    return lines, status


# -- the wheel, in a fresh virtualenv outside the checkout -------------------------------------------


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv (outside the checkout) with the wheel `python -m build` made installed."""
    work = tmp_path_factory.mktemp("wheel")
    built = run(sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", ROOT)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = next((work / "dist").glob("oncall_desktop-*.whl"))
    made = run(sys.executable, "-m", "venv", work / "venv")
    assert made.returncode == 0, made.stderr
    installed = run(work / "venv" / "bin" / "pip", "install", "--quiet", wheel)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return work / "venv"


def test_the_installed_wheel_runs_its_commands_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    app = venv / "bin" / "oncall-desktop"
    version = run(app, "--version", cwd=tmp_path)
    assert version.stdout == f"oncall-desktop {__version__}\n", version.stderr
    checked = run(app, "config", "validate", readme_example(tmp_path), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_installed_wheel_starts_the_app_with_its_alarm_sound(venv: Path, tmp_path: Path) -> None:
    site = next((venv / "lib").glob("python3*/site-packages"))
    lines, status = start_offscreen(venv / "bin" / "oncall-desktop", tmp_path, site)
    assert status == 0, "\n".join(lines)


# -- desktop entry, metainfo, icons ---------------------------------------------------------------------


def test_the_desktop_entry_and_the_metainfo_validate_and_agree() -> None:
    desktop = run("desktop-file-validate", DESKTOP)
    assert (desktop.returncode, desktop.stdout + desktop.stderr) == (0, "")
    metainfo = run("appstreamcli", "validate", "--no-net", METAINFO)
    assert metainfo.returncode == 0, metainfo.stdout + metainfo.stderr
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(DESKTOP)
    assert entry["Desktop Entry"]["Icon"] == ICON_NAME
    assert entry["Desktop Entry"]["Exec"].split()[0] == "oncall-desktop"
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == DESKTOP_FILE
    assert component.findtext("launchable") == DESKTOP.name
    assert component.find("releases/release").get("version") == __version__  # type: ignore[union-attr]
    homepage = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]
    assert component.findtext("url[@type='homepage']") == homepage
    shots = [image.text or "" for image in component.iter("image")]
    assert shots
    for url in shots:
        assert url.startswith(f"{homepage}/raw/main/docs/screenshots/")
        assert (ROOT / "docs" / "screenshots" / url.rsplit("/", 1)[1]).exists(), url


def test_the_icons_are_rendered_from_the_svg() -> None:
    checked = run(sys.executable, PACKAGING / "make_icons.py", "--check")
    assert checked.returncode == 0, checked.stderr


# -- CI_PACKAGES=1: the PyInstaller folder and the .deb ---------------------------------------------------


@pytest.mark.skipif(not CI_PACKAGES, reason="builds the PyInstaller folder and the .deb: set CI_PACKAGES=1")
def test_the_deb_installs_with_dpkg_and_the_installed_app_starts(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("installing the .deb with dpkg -i needs root")
    if run("dpkg-query", "-W", "-f=${db:Status-Status}", "oncall-desktop").stdout == "installed":
        pytest.fail("an oncall-desktop package is installed here already; remove it first (dpkg -r)")
    built = run(PACKAGING / "build.sh", "deb", cwd=ROOT, timeout=1200)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    deb = next((ROOT / "dist").glob(f"oncall-desktop_{__version__}_*.deb"))
    installed = run("dpkg", "-i", deb)
    try:
        assert installed.returncode == 0, installed.stdout + installed.stderr
        owner = run("dpkg", "-S", "/usr/bin/oncall-desktop").stdout
        assert owner == "oncall-desktop: /usr/bin/oncall-desktop\n"  # the launcher on everyone's PATH
        assert run("/usr/bin/oncall-desktop", "--version").stdout == f"oncall-desktop {__version__}\n"
        entry = Path("/usr/share/applications") / DESKTOP.name
        assert run("desktop-file-validate", entry).returncode == 0
        metainfo = Path("/usr/share/metainfo") / METAINFO.name
        assert run("appstreamcli", "validate", "--no-net", metainfo).returncode == 0
        for size in ("16x16", "48x48", "256x256", "512x512"):
            assert (Path("/usr/share/icons/hicolor") / size / "apps" / f"{ICON_NAME}.png").exists()
        assert (Path("/usr/share/icons/hicolor/scalable/apps") / f"{ICON_NAME}.svg").exists()
        lines, status = start_offscreen("/usr/bin/oncall-desktop", tmp_path, Path("/opt/oncall-desktop"))
        assert status == 0, "\n".join(lines)
    finally:
        removed = run("dpkg", "-r", "oncall-desktop")
    assert removed.returncode == 0, removed.stderr
    assert not Path("/opt/oncall-desktop").exists()
