"""Sweeps, one search, and many data files on a real Dask LocalCluster (2 worker processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import kdsl
from kdsl.data.bind import bind
from kdsl.distributed import ClusterScorer, Job, bind_counted, solve_many
from kdsl.errors import DataError
from kdsl.language.check import check
from kdsl.language.syntax import parse
from kdsl.search.run import search
from kdsl.verdict.solver import solve_bound

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

distributed = pytest.importorskip("distributed")  # in the test extra: present in CI


@pytest.fixture(scope="module")
def client():
    """One cluster for the module: 2 worker processes of one thread each, started once."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def chain_data(d: int, rows: int, seed: int) -> tuple[list[str], dict]:
    """Binary variables, each depending on the two before it; two environments of rows // 2 rows."""
    rng = np.random.default_rng(seed)
    names = [f"V{i}" for i in range(d)]
    cols: dict[str, np.ndarray] = {}
    for i, v in enumerate(names):
        if i < 2:
            cols[v] = rng.integers(0, 2, rows)
        else:
            p = 0.15 + 0.35 * cols[names[i - 1]] + 0.35 * cols[names[i - 2]]
            cols[v] = (rng.random(rows) < p).astype(int)
    half = rows // 2
    return names, {"a": {v: c[:half] for v, c in cols.items()}, "b": {v: c[half:] for v, c in cols.items()}}


def chain_spec(names: list[str], max_parents: int, top: int) -> str:
    return ("\n".join(f"var {v} in 0..1" for v in names) + "\nenv a from a\nenv b from b\n"
            f"search {{\n    graphs max_parents {max_parents}\n    shifts\n    top {top}\n}}\ncode paper\n")


def as_data(results: list) -> list:
    return [r.to_dict() if isinstance(r, kdsl.verdict.result.Result) else (type(r).__name__, str(r)) for r in results]


def test_sweep_equals_serial_and_keeps_each_error_in_its_place(client):
    bad = "var X in 0..1\nhypothesis h {\n    X ~ tabel\n}\n"
    jobs = [EXAMPLES / "symmetry.kdsl", bad, str(EXAMPLES / "sensors.kdsl"), EXAMPLES / "missing.kdsl",
            Job(EXAMPLES / "two_regimes.kdsl")]
    serial = solve_many(jobs)
    swept = solve_many(jobs, client=client)
    assert as_data(swept) == as_data(serial)
    assert [type(r).__name__ for r in swept] == ["Result", "SpecError", "Result", "KdslError", "Result"]
    assert str(swept[1]).startswith("<string>:3:9: unknown template or family 'tabel'")
    assert str(swept[3]) == f"{EXAMPLES / 'missing.kdsl'}: no such spec file"
    assert swept[0].model == "symmetry" and swept[2].model == "sensors"  # the order given


def test_distributed_search_equals_serial_bit_for_bit_at_13_variables(client):
    names, data = chain_data(13, 60, seed=5)
    spec = chain_spec(names, max_parents=3, top=2)
    bound = kdsl.load(spec, data=data)
    scorer = ClusterScorer(client)
    here, there = search(bound), search(bound, scorer=scorer)
    assert scorer.tasks > 4  # the layers really went to the cluster, in several chunks
    scored = sum(len(e) for e in here.local.entries)
    assert 13 * (1 + 12 + 66) < scored < 13 * (1 + 12 + 66 + 220)  # pruning between layers cut part of a layer
    assert there.local.entries == here.local.entries  # the same parent sets, templates and bits (float ==)
    assert there.programs == here.programs and len(here.programs) == 2 and here.proven


def test_distributed_search_with_templates_equals_serial(client):
    spec = EXAMPLES / "sensors.kdsl"
    assert kdsl.solve(spec, client=client).to_dict() == kdsl.solve(spec).to_dict()


def test_many_files_counted_where_they_lie(client, tmp_path):
    names, data = chain_data(5, 400, seed=2)
    for env, cols in data.items():
        lines = [",".join(names)] + [",".join(str(cols[v][i]) for v in names) for i in range(len(cols[names[0]]))]
        (tmp_path / f"{env}.csv").write_text("\n".join(lines) + "\n")
    text = ("\n".join(f"var {v} in 0..1" for v in names) + '\nenv a from "a.csv"\nenv b from "b.csv"\n'
            "search {\n    graphs max_parents 2\n    shifts\n}\n")
    model = check(parse(text, "many.kdsl"), base_dir=str(tmp_path))
    counted = bind_counted(model, client)
    assert [e.rows for e in counted.environments] == [200, 200]
    assert solve_bound(counted).to_dict() == solve_bound(bind(model)).to_dict()
    # a bad cell is the same located error as when read here
    (tmp_path / "b.csv").write_text((tmp_path / "b.csv").read_text().replace("\n1,", "\n7,", 1))
    with pytest.raises(DataError) as here:
        bind(model)
    with pytest.raises(DataError) as there:
        bind_counted(model, client)
    assert str(there.value) == str(here.value) and "b.csv:" in str(here.value)


def test_cli_sweep_with_workers_prints_the_serial_results_in_order(tmp_path):
    table = tmp_path / "lab.csv"
    table.write_text("X,id\n" + "".join(f"{x},{i}\n" for i, x in enumerate([0, 1, 1, 0, 1, 1, 1, 0])))
    spec = tmp_path / "lab.kdsl"
    spec.write_text("var X in 0..1\nenv lab from lab_df\nhypothesis h {\n    X ~ table\n}\n")
    files = [str(EXAMPLES / "symmetry.kdsl"), str(spec), str(EXAMPLES / "two_regimes.kdsl")]
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "kdsl.cli", "solve", *files, "--data", f"lab_df={table}", "--json",
                               *extra], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)

    serial, spread = run(), run("--workers", "2")
    assert serial.returncode == 0 and spread.returncode == 0, spread.stderr
    assert spread.stdout == serial.stdout
    assert [r["model"] for r in json.loads(serial.stdout)] == ["symmetry", "lab", "two_regimes"]
    alone = kdsl.solve(EXAMPLES / "two_regimes.kdsl").to_dict()  # as `kdsl solve two_regimes.kdsl --json` prints it
    assert json.loads(serial.stdout)[2] == json.loads(json.dumps(alone))


def test_cli_sweep_reports_a_bad_spec_alone(tmp_path):
    bad = tmp_path / "bad.kdsl"
    bad.write_text("var X in 0..1\nhypothesis h {\n    X ~ tabel\n}\n")
    run = subprocess.run([sys.executable, "-m", "kdsl.cli", "solve", str(EXAMPLES / "symmetry.kdsl"), str(bad),
                          "--json"], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         timeout=60)
    assert run.returncode == 2
    first, second = json.loads(run.stdout)
    assert first["model"] == "symmetry"
    assert second["file"] == str(bad) and second["error"]["line"] == 3 and second["error"]["kind"] == "SpecError"


def _executing(dask_worker) -> list[str]:
    return [str(key) for key, ts in dask_worker.state.tasks.items() if ts.state == "executing"]


def test_sweep_survives_a_worker_killed_while_it_runs_a_spec(client):
    """Last in the module: the nanny restarts the killed worker, the scheduler reruns its spec elsewhere."""
    names, data = chain_data(10, 400, seed=7)
    jobs = [Job(chain_spec(names, max_parents=2, top=3), data, filename=f"seed{i}.kdsl") for i in range(3)]
    serial = solve_many(jobs)
    pids = client.run(os.getpid)
    with ThreadPoolExecutor(1) as pool:
        sweep = pool.submit(solve_many, jobs, client)
        give_up = time.monotonic() + 60
        busy: list[str] = []
        while not busy and time.monotonic() < give_up:
            busy = [address for address, keys in client.run(_executing).items() if keys]
            time.sleep(0.02)
        assert busy, "no spec started running on a worker"
        os.kill(pids[busy[0]], signal.SIGKILL)
        swept = sweep.result(timeout=180)
    assert as_data(swept) == as_data(serial)
    assert all(isinstance(r, kdsl.verdict.result.Result) for r in swept)
    assert pids[busy[0]] not in client.run(os.getpid).values()  # the worker really died mid-sweep


def test_sweep_progress_reports_every_spec(capsys):
    spec = "var X in 0..1\nsimulate env a n 20 seed 1 {\n    X ~ bernoulli(0.5)\n}\nhypothesis h {\n    X ~ table\n}\n"
    calls = []
    solve_many([spec, spec, spec], progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls == [("specs", 1, 3), ("specs", 2, 3), ("specs", 3, 3)]
    pytest.importorskip("tqdm")
    solve_many([spec, spec], progress=True)  # a tqdm bar on stderr (a widget in a notebook)
    assert "2/2" in capsys.readouterr().err


@pytest.mark.parametrize("flags, message", [
    (["--workers", "0"], "expected a number of workers (1 or more), got '0'"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not allowed with argument --workers"),
])
def test_cli_cluster_flags_are_checked(flags, message):
    run = subprocess.run([sys.executable, "-m", "kdsl.cli", "solve", str(EXAMPLES / "symmetry.kdsl"), *flags],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert run.returncode == 2 and message in run.stderr


def test_every_docs_script_that_starts_a_cluster_guards_it_with_main():
    """A local cluster's workers re-import the script that started it: an unguarded snippet fails when run as a file."""
    import re

    blocks = [b for doc in sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
              for b in re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
              if "local_cluster(" in b or "LocalCluster(" in b]
    assert blocks
    for block in blocks:
        assert 'if __name__ == "__main__":' in block, block
