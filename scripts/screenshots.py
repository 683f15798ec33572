"""Screenshots of kdsl's notebook views for the README, into docs/img/.

    python scripts/screenshots.py              # all views
    python scripts/screenshots.py --out /tmp   # elsewhere

A notebook that shows each tab of a :class:`kdsl.present.widgets.ResultView` of
``examples/covariate_shift.kdsl``, the Result's own HTML and two
``kdsl.explore`` panels (a simulated spec, and the CSV-backed
``examples/coins.kdsl``) is executed on a fresh kernel (this interpreter),
with its widget state stored; each output is exported alone to HTML (nbconvert,
widget state embedded), served on localhost with the widget manager
(``@jupyter-widgets/html-manager``), require.js and MathJax 2 from npm
tarballs (cached in ``~/.cache/kdsl``; no CDN), and photographed by headless
Chromium (``apt-get install chromium``). The PNGs are cropped to their content.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
import test_browser as tb  # noqa: E402  (the offline browser plumbing of the tests)
import test_notebooks as tn  # noqa: E402
from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402

MATHJAX = "mathjax@2.7.9"

SETUP = """
import kdsl
result = kdsl.solve("examples/covariate_shift.kdsl")
"""

#: file name -> (cell source, window size)
SHOTS = {
    "result_html.png": ("result", (1000, 900)),
    "view_ranking.png": ("v = kdsl.ResultView(result)\nv.selected_index = 0\nv", (1000, 700)),
    "view_bits.png": ("v = kdsl.ResultView(result)\nv.selected_index = 1\nv", (1000, 700)),
    "view_graph.png": ("v = kdsl.ResultView(result)\nv.selected_index = 2\nv", (1000, 700)),
    "view_shifts.png": ("v = kdsl.ResultView(result)\nv.selected_index = 3\nv", (1000, 700)),
    "view_length.png": ("v = kdsl.ResultView(result)\nv.selected_index = 4\nv", (1000, 1150)),
    "explore.png": ("ex = kdsl.explore('examples/covariate_shift.kdsl', background=False)\n"
                    "for n in (25, 50, 100, 400):\n    ex.n_slider.value = n\nex", (1100, 1000)),
    "explore_coins.png": ("ex = kdsl.explore('examples/coins.kdsl', background=False)\n"
                          "for n in (10, 20, 40):\n    ex.n_slider.value = n\nex", (1100, 900)),
}


def mathjax_dir() -> Path | None:
    """MathJax 2 (``MathJax.js``, config, jax, fonts) from its npm tarball, cached; None without npm."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kdsl" / "mathjax"
    if (cache / "MathJax.js").is_file():
        return cache
    npm = shutil.which("npm")
    if npm is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([npm, "pack", MATHJAX, "--pack-destination", tmp, "--silent"], capture_output=True, text=True)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if run.returncode != 0 or not tarballs:
            return None
        staging = cache.with_name("mathjax.partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        tb._unpack(tarballs[0], "package/", staging)
        shutil.rmtree(staging / "unpacked", ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        staging.rename(cache)
    return cache


def crop(path: Path, margin: int = 12) -> None:
    """Trim the page's empty background around the content."""
    import numpy as np
    from matplotlib import image

    pixels = image.imread(path)
    rgb = pixels[..., :3]
    ink = np.argwhere((np.abs(rgb - rgb[-1, -1]).sum(axis=2)) > 0.02)
    if ink.size == 0:
        return
    (top, left), (bottom, right) = ink.min(0), ink.max(0)
    top, left = max(0, top - margin), max(0, left - margin)
    bottom, right = min(rgb.shape[0], bottom + margin), min(rgb.shape[1], right + margin)
    image.imsave(path, pixels[top:bottom, left:right])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder for the PNGs (default docs/img)")
    args = parser.parse_args(argv)
    chromium = tb.find_chromium()
    if chromium is None:
        print("headless Chromium not found: apt-get install chromium", file=sys.stderr)
        return 1
    js = tb.widget_js_dir()
    mathjax = mathjax_dir()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["JUPYTER_PATH"] = str(tn.install_kernelspec(tmp / "jupyter"))
        if not tn._kdsl_installed():
            os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        book = new_notebook(cells=[new_code_cell(SETUP.strip())] + [new_code_cell(src) for src, _ in SHOTS.values()])
        book.metadata["kernelspec"] = {"name": tn.KERNEL, "display_name": "Python", "language": "python"}
        from nbclient import NotebookClient

        NotebookClient(book, timeout=300, kernel_name=tn.KERNEL, store_widget_state=True,
                       resources={"metadata": {"path": str(ROOT)}}).execute(cwd=str(ROOT))
        errors = [o for c in book.cells for o in c.outputs if o.get("output_type") == "error"]
        if errors:
            print("\n".join(errors[0].get("traceback", [])), file=sys.stderr)
            return 1
        site = tmp / "site"
        site.mkdir()
        with tb.LocalServer(site) as server:
            pages = {}
            for i, name in enumerate(SHOTS, start=1):
                single = nbformat.from_dict(dict(book))
                single.cells = [book.cells[i]]
                pages[name.replace(".png", ".html")] = export(single, server.url, mathjax is not None)
            tb.serve_folder(site, js, pages)
            if mathjax is not None:
                (site / "mathjax").symlink_to(mathjax)
            for name, (_, size) in SHOTS.items():
                out = args.out / name
                tb.screenshot(chromium, f"{server.url}/{name.replace('.png', '.html')}", out, tmp / f"profile-{name}", size,
                              budget_ms=30000)
                crop(out)
                print(f"wrote {out.relative_to(ROOT) if ROOT in out.parents else out}")
    return 0


def export(book, base_url: str, with_mathjax: bool) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        require_js_url=f"{base_url}/js/require.js",
        widget_renderer_url=f"{base_url}/js/embed-amd.js",
        mathjax_url=f"{base_url}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe" if with_mathjax else "",
    )
    body, _ = exporter.from_notebook_node(book)
    return body


if __name__ == "__main__":
    raise SystemExit(main())
