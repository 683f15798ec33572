"""The notebook views render in a real browser, offline.

A notebook that shows a :class:`kdsl.present.widgets.ResultView` and a Result's
mimebundle is executed (with its widget state stored in the notebook's
metadata), exported to HTML by nbconvert with the widget state embedded, and
served on localhost. The page's widget manager is the
``@jupyter-widgets/html-manager`` bundle (``dist/embed-amd.js``) and
``require.js``, served from the same local server instead of a CDN; headless
Chromium loads the page and dumps the DOM, in which the widget views must
actually appear (tab bar, the ranking table, the program names) — not just
the stored state.

The two JavaScript files come from, in order: the folder named by
``KDSL_WIDGET_JS``; a cache folder (``~/.cache/kdsl/widget-js``); or
``npm pack`` into that cache (tarballs only, no dependencies). Without
Chromium or without the JavaScript the test is skipped with a message.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_notebooks import KERNEL, _kdsl_installed, install_kernelspec  # noqa: E402

nbformat = pytest.importorskip("nbformat")


def _unavailable(message: str):
    """Skip on a developer's machine; fail in CI, whose script installs what this test needs."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test: {message}")
    pytest.skip(message)

#: npm packages for the offline widget manager (html-manager 1.x goes with ipywidgets 8).
HTML_MANAGER = "@jupyter-widgets/html-manager@^1.0"
REQUIREJS = "requirejs@^2.3"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _unpack(tgz: Path, member_prefix: str, dest: Path) -> None:
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith(member_prefix):
                target = dest / member.name[len(member_prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)


def widget_js_dir() -> Path:
    """A folder with ``embed-amd.js`` (and the fonts beside it) and ``require.js``; fetched once with ``npm pack``."""
    named = os.environ.get("KDSL_WIDGET_JS")
    if named:
        folder = Path(named)
        if not ((folder / "embed-amd.js").is_file() and (folder / "require.js").is_file()):
            pytest.fail(f"KDSL_WIDGET_JS={named} needs embed-amd.js and require.js")
        return folder
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kdsl" / "widget-js"
    if (cache / "embed-amd.js").is_file() and (cache / "require.js").is_file():
        return cache
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("no widget manager JavaScript offline: install npm (or set KDSL_WIDGET_JS to a folder with "
                    "html-manager's dist/embed-amd.js and require.js)")
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([npm, "pack", HTML_MANAGER, REQUIREJS, "--pack-destination", tmp, "--silent"],
                             capture_output=True, text=True, timeout=300)
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if run.returncode != 0 or len(tarballs) != 2:
            _unavailable(f"npm pack {HTML_MANAGER} {REQUIREJS} failed: {run.stderr.strip()[:300]}")
        staging = cache.with_name("widget-js.partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for tgz in tarballs:
            if "html-manager" in tgz.name:
                _unpack(tgz, "package/dist/", staging)
            else:
                _unpack(tgz, "package/", staging)
        shutil.rmtree(cache, ignore_errors=True)
        staging.rename(cache)
    return cache


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request log on stderr
        pass


class LocalServer:
    """``http.server`` on 127.0.0.1 in a thread, serving one folder."""

    def __init__(self, folder: Path):
        handler = functools.partial(_Quiet, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def export_html(book, base_url: str) -> str:
    """nbconvert's lab HTML with the widget state embedded and the widget JavaScript from ``base_url``."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        require_js_url=f"{base_url}/js/require.js",
        widget_renderer_url=f"{base_url}/js/embed-amd.js",
        mathjax_url=f"{base_url}/js/no-mathjax.js",  # no MathJax offline; formulas stay TeX source
    )
    body, _ = exporter.from_notebook_node(book)
    return body


def chromium_args(chromium: str, profile: Path) -> list[str]:
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}"]


def dump_dom(chromium: str, url: str, profile: Path, budget_ms: int = 20000) -> str:
    run = subprocess.run(chromium_args(chromium, profile) + [f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def screenshot(chromium: str, url: str, out: Path, profile: Path, size: tuple[int, int] = (1100, 800),
               budget_ms: int = 20000) -> None:
    run = subprocess.run(chromium_args(chromium, profile) + [
        f"--virtual-time-budget={budget_ms}", f"--window-size={size[0]},{size[1]}", f"--screenshot={out}", url],
        capture_output=True, text=True, timeout=180)
    assert run.returncode == 0 and out.is_file(), run.stderr[-2000:]


VIEW_NOTEBOOK_CELLS = [
    "import kdsl\nresult = kdsl.solve('examples/two_regimes.kdsl')\nresult",
    "view = kdsl.ResultView(result)\nview",
]


def view_notebook():
    from nbformat.v4 import new_code_cell, new_notebook

    book = new_notebook(cells=[new_code_cell(src) for src in VIEW_NOTEBOOK_CELLS])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return book


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None:
        _unavailable("headless Chromium not found: apt-get install chromium")
    return path


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    pytest.importorskip("nbclient")
    pytest.importorskip("nbconvert")
    pytest.importorskip("ipywidgets")
    share = install_kernelspec(tmp_path_factory.mktemp("jupyter"))
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "PYTHONPATH")}
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(share), saved["JUPYTER_PATH"]) if p)
    if not _kdsl_installed():
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), saved["PYTHONPATH"]) if p)
    yield KERNEL
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def serve_folder(tmp: Path, js: Path, pages: dict[str, str]) -> Path:
    """A folder to serve: ``js/`` (a link to, or copy of, the widget JavaScript) and the pages."""
    (tmp / "js").mkdir(exist_ok=True)
    for item in js.iterdir():
        target = tmp / "js" / item.name
        if not target.exists():
            try:
                target.symlink_to(item)
            except OSError:
                shutil.copy(item, target)
    for name, text in pages.items():
        (tmp / name).write_text(text, encoding="utf-8")
    return tmp


def test_result_view_renders_in_chromium(chromium, kernel, tmp_path):
    from bs4 import BeautifulSoup

    js = widget_js_dir()
    book = execute_view_notebook(kernel)
    state = book.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "TabModel" for m in state.values())

    with LocalServer(tmp_path) as server:
        serve_folder(tmp_path, js, {"view.html": export_html(book, server.url)})
        dom = dump_dom(chromium, f"{server.url}/view.html", tmp_path / "profile")

    soup = BeautifulSoup(dom, "html.parser")
    for script in soup.find_all("script"):
        script.decompose()  # the stored widget state names the programs too: look only at rendered elements
    tabs = soup.select(".widget-tab")
    assert tabs, "the widget manager rendered no Tab (is embed-amd.js served?)"
    assert soup.select(".jupyter-widgets")
    tab_text = tabs[0].get_text(" ")
    for title in ("ranking", "bits", "graph", "shifts", "length"):
        assert title in tab_text
    ranking = tabs[0].select("table.kdsl-ranking")
    assert ranking, "the ranking table is not in the rendered Tab"
    assert "forward" in ranking[0].get_text() and "backward" in ranking[0].get_text()
    options = [o.get_text() for o in tabs[0].select("select option")]
    assert any(o.startswith("forward") for o in options) and any(o.startswith("backward") for o in options)
    assert tabs[0].select("img"), "the bits chart (an Image widget) did not render"
    assert tabs[0].select("svg"), "the graph tab's SVG did not render"
    # the Result's mimebundle (static HTML, no widget) is on the page too
    assert "forward" in soup.get_text() and soup.select("svg")


def execute_view_notebook(kernel: str):
    from nbclient import NotebookClient

    book = view_notebook()
    NotebookClient(book, timeout=180, kernel_name=kernel, store_widget_state=True,
                   resources={"metadata": {"path": str(ROOT)}}).execute(cwd=str(ROOT))
    errors = [o for c in book.cells for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    return book

