"""Accuracy study: kdsl's structure search against pooled-data baselines on pgmpy's bundled networks.

For each network (asia, cancer, earthquake, survey, child — Bayesian networks that ship inside pgmpy,
written by nobody here) and each seed:

* environment ``obs`` is forward-sampled from the network as published;
* environments ``shift1`` .. ``shiftK`` each pick one or two variables at random (unknown to every
  method) and give each of them a new conditional table, every column (one parent configuration)
  drawn from a flat Dirichlet(1, ..., 1); the rest of the network is unchanged;
* every environment has ``--rows`` rows, sampled by pgmpy's ``BayesianModelSampling.forward_sample``
  with a fixed seed;
* every method sees the variables in an order drawn at random per seed (kdsl's spec declares them in
  that order; the baselines get the columns in that order), so that no tie-break can follow pgmpy's
  listing order.

Methods:

* ``kdsl-paper`` / ``kdsl-bic`` / ``kdsl-nml``: one spec per instance and code, all solved by
  ``kdsl.solve_many`` on a local Dask cluster of ``--workers`` processes (default 2; the
  baselines run first, in a pool of as many processes), with the environments labelled,
  ``search { graphs max_parents P; top 1 }`` and the named code. Directed edges; the
  intervention targets are the variables whose environments fall into more than one shift group.
* ``hc-bic``: pgmpy's ``HillClimbSearch(scoring_method="bic-d", max_indegree=P)`` on the POOLED data
  (all environments concatenated, labels dropped), scored as the DAG it returns.
* ``hc-bic-cpdag``: the same fit, scored as the CPDAG of that DAG (its Markov equivalence class).
* ``ges-bdeu``: causal-learn's ``ges`` on the pooled data with ``local_score_BDeu`` (causal-learn's
  ``local_score_BIC`` is the linear-Gaussian score, so it is not used for discrete data), ``maxP=P``.
* ``cdnod``: causal-learn's ``cdnod`` on the pooled data with the environment index as the context
  variable C, ``indep_test="chisq"``, alpha 0.05. Its targets are the variables adjacent to C.

SHD (structural Hamming distance) to the true DAG: for every unordered pair of variables, the pair's
mark in the output — none, a->b, b->a, a--b (undirected) or a<->b (bidirected) — is compared with the
pair's mark in the true DAG, and every pair whose marks differ counts 1. So a missing or an extra
edge counts 1, a reversed edge 1, and an undirected (or bidirected) edge where the truth is directed
counts 1. This is the pairwise SHD of causal-learn's ``causallearn.graph.SHD`` and of Tsamardinos et
al. (2006), computed here against the true DAG (not its CPDAG). It splits into ``skeleton`` errors
(pairs adjacent in one graph only) and ``orientation`` errors (adjacent in both, marks differ).

``reversible`` edges are the true edges left undirected in the CPDAG of the true DAG: no method
that sees only the observational equivalence class can orient them. The table reports how many of
them each method outputs with the true direction, split by whether the true targets make them
identifiable (directed in the interventional essential graph, Hauser & Buehlmann 2012; see
``cpdag`` and bench/accuracy_check.py).

Run from the repository root:

    PYTHONPATH=. python bench/accuracy.py               # every table of bench/ACCURACY.md
    PYTHONPATH=. python bench/accuracy.py --networks asia cancer --seeds 2
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import math
import os
import platform
import re
import statistics
import sys
import time
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from itertools import combinations
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore", category=FutureWarning)  # pgmpy's deprecation notices, once per worker
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NETWORKS = ["asia", "cancer", "earthquake", "survey", "child"]
KDSL_METHODS = ["kdsl-paper", "kdsl-bic", "kdsl-nml"]
BASELINES = ["hc-bic", "hc-bic-cpdag", "ges-bdeu", "cdnod"]
DEFAULT_METHODS = ["kdsl-paper", "kdsl-bic", "kdsl-nml", "hc-bic", "hc-bic-cpdag", "ges-bdeu", "cdnod"]
TARGET_METHODS = ("kdsl-paper", "kdsl-bic", "kdsl-nml", "cdnod")


# ----------------------------------------------------------------------------- graphs and SHD
# A graph on named nodes is a dict {frozenset({a, b}): mark}, mark one of
# ("->", a, b) meaning a -> b, ("--",) undirected, ("<->",) bidirected, ("?",) any other endpoint pair.


def directed(edges) -> dict:
    return {frozenset((a, b)): ("->", a, b) for a, b in edges}


def cpdag(nodes, edges, target_sets=()) -> dict:
    """The essential graph of a DAG: its CPDAG, or with `target_sets` its interventional essential graph.

    Starts from the v-structures, plus (Hauser & Buehlmann 2012) every edge with exactly one endpoint
    in some target set (the observational environment is the empty set), then applies Meek's rules
    R1-R4 to a fixpoint. With no target sets this is the CPDAG (checked against causal-learn's dag2cpdag).
    """
    parents = {v: {a for a, b in edges if b == v} for v in nodes}
    adjacent = {v: set() for v in nodes}
    for a, b in edges:
        adjacent[a].add(b)
        adjacent[b].add(a)
    oriented: set[tuple[str, str]] = set()
    for c in nodes:
        for a, b in combinations(sorted(parents[c]), 2):
            if b not in adjacent[a]:
                oriented.update({(a, c), (b, c)})
    for targets in target_sets:
        oriented.update((a, b) for a, b in edges if (a in targets) != (b in targets))
    undirected = {frozenset(e) for e in edges} - {frozenset(e) for e in oriented}

    def is_oriented(x, y):
        return (x, y) in oriented

    def is_undirected(x, y):
        return frozenset((x, y)) in undirected

    changed = True
    while changed:
        changed = False
        for pair in sorted(undirected, key=sorted):
            x, y = sorted(pair)
            for a, b in ((x, y), (y, x)):
                common = adjacent[a] & adjacent[b]
                # R1: c -> a, a -- b, c not adjacent to b  =>  a -> b
                r1 = any(is_oriented(c, a) and c not in adjacent[b] and c != b for c in adjacent[a])
                # R2: a -> c -> b and a -- b  =>  a -> b
                r2 = any(is_oriented(a, c) and is_oriented(c, b) for c in common)
                # R3: a -- c -> b, a -- d -> b, c and d not adjacent  =>  a -> b
                mids = [c for c in common if is_undirected(a, c) and is_oriented(c, b)]
                r3 = any(d not in adjacent[c] for c, d in combinations(mids, 2))
                # R4: a -- c -> d -> b, a adjacent to d, c not adjacent to b  =>  a -> b
                r4 = any(is_oriented(c, d) and is_oriented(d, b) and c not in adjacent[b]
                         for c in adjacent[a] if is_undirected(a, c) for d in common)
                if r1 or r2 or r3 or r4:
                    undirected.discard(pair)
                    oriented.add((a, b))
                    changed = True
                    break
    out = {frozenset(e): ("->", *e) for e in oriented}
    out.update({pair: ("--",) for pair in undirected})
    return out


def from_causallearn(matrix: np.ndarray, names: list[str]) -> dict:
    """causal-learn's endpoint matrix: G[j,i]=1 and G[i,j]=-1 is i -> j; both -1 is i -- j; both 1 i <-> j."""
    out = {}
    for i, j in combinations(range(len(names)), 2):
        a, b = int(matrix[i, j]), int(matrix[j, i])
        if a == 0 and b == 0:
            continue
        if (a, b) == (-1, 1):
            mark = ("->", names[i], names[j])
        elif (a, b) == (1, -1):
            mark = ("->", names[j], names[i])
        elif (a, b) == (-1, -1):
            mark = ("--",)
        elif (a, b) == (1, 1):
            mark = ("<->",)
        else:
            mark = ("?",)
        out[frozenset((names[i], names[j]))] = mark
    return out


def shd(truth: dict, found: dict) -> tuple[int, int]:
    """(skeleton errors, orientation errors); SHD is their sum."""
    skeleton = len(set(truth) ^ set(found))
    orientation = sum(truth[p] != found[p] for p in set(truth) & set(found))
    return skeleton, orientation


def describe(graph: dict) -> list[str]:
    """A graph as sorted readable strings, for the JSON dump."""
    out = []
    for pair, mark in graph.items():
        a, b = sorted(pair)
        out.append(f"{mark[1]} -> {mark[2]}" if mark[0] == "->" else f"{a} {mark[0]} {b}")
    return sorted(out)


def partition_key(groups) -> frozenset:
    return frozenset(frozenset(g) for g in groups)


def true_partition(var: str, envs) -> frozenset:
    """The true sharing of var's mechanism: every environment that changed var has a table of its own."""
    changed = [name for name, targets in envs if var in targets]
    kept = [name for name, targets in envs if var not in targets]
    return partition_key([kept] + [[name] for name in changed])


def reversible_right(true_edges, true_cpdag: dict, true_icpdag: dict, found: dict) -> dict:
    """Reversible true edges (undirected in the true CPDAG), split by whether the true targets orient
    them (directed in the interventional essential graph), and how many `found` orients the true way."""
    out = {"rev_ident": 0, "rev_ident_right": 0, "rev_other": 0, "rev_other_right": 0}
    for a, b in true_edges:
        pair = frozenset((a, b))
        if true_cpdag[pair] != ("--",):
            continue
        kind = "rev_ident" if true_icpdag[pair] != ("--",) else "rev_other"
        out[kind] += 1
        out[kind + "_right"] += found.get(pair) == ("->", a, b)
    return out


# ----------------------------------------------------------------------------- data


def label_names(states: list[str]) -> list[str]:
    """pgmpy's state names made into kdsl labels ([A-Za-z_][A-Za-z0-9_]*), kept distinct."""
    out: list[str] = []
    for state in states:
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(state))
        if not re.match(r"[A-Za-z_]", name):
            name = "s_" + name
        while name in out:
            name += "_"
        out.append(name)
    return out


@functools.cache
def load_network(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.utils import get_example_model

        return get_example_model(name)


def make_instance(network: str, seed: int, rows: int, n_shifted: int) -> dict:
    """Sample the environments of one (network, seed); return data, truth and targets."""
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.sampling import BayesianModelSampling

    model = load_network(network)
    nodes = list(model.nodes())
    rng = np.random.default_rng([seed, zlib.crc32(network.encode())])
    # every method sees the variables in a random order: tie-breaks (kdsl's among equally long programs,
    # the baselines' among equal scores or tests) then cannot follow the order in which pgmpy lists them
    nodes = [str(v) for v in np.random.default_rng([seed, zlib.crc32(network.encode()), 1]).permutation(nodes)]
    envs = [("obs", [])]
    for e in range(1, n_shifted + 1):
        count = int(rng.integers(1, 3))
        envs.append((f"shift{e}", sorted(rng.choice(sorted(nodes), size=count, replace=False).tolist())))
    frames = []
    shift_tv: dict[tuple[str, str], float] = {}
    for index, (env, targets) in enumerate(envs):
        shifted = model.copy()
        for var in targets:
            old = shifted.get_cpds(var)
            card = int(old.cardinality[0])
            columns = int(np.prod(old.cardinality[1:])) if len(old.cardinality) > 1 else 1
            values = rng.dirichlet(np.ones(card), size=columns).T
            # how far the new table is from the old: the largest total-variation distance over parent configurations
            shift_tv[(env, var)] = float(0.5 * np.abs(values - old.get_values()).sum(axis=0).max())
            new = TabularCPD(var, card, values, evidence=list(old.variables[1:]) or None,
                             evidence_card=list(old.cardinality[1:]) or None, state_names=dict(old.state_names))
            shifted.remove_cpds(old)
            shifted.add_cpds(new)
        shifted.check_model()
        sample_seed = int(rng.integers(0, 2**31 - 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = BayesianModelSampling(shifted).forward_sample(size=rows, seed=sample_seed,
                                                                  show_progress=False, n_jobs=1)
        frame = frame[nodes].copy()
        frame["env"] = env
        frame["env_index"] = index
        frames.append(frame)
    pooled = pd.concat(frames, ignore_index=True)
    states = {v: [str(s) for s in model.states[v]] for v in nodes}
    codes = np.column_stack([pooled[v].astype(str).map({s: i for i, s in enumerate(states[v])}).to_numpy()
                             for v in nodes]).astype(np.int64)
    return {
        "network": network, "seed": seed, "nodes": nodes, "edges": [tuple(e) for e in model.edges()],
        "states": states, "envs": envs, "pooled": pooled, "codes": codes,
        "targets": sorted({v for _, t in envs for v in t}), "shift_tv": shift_tv,
    }


# ----------------------------------------------------------------------------- methods


def kdsl_spec(inst: dict, code: str, max_parents: int, options: str = "") -> tuple[str, pd.DataFrame]:
    """A spec searching an instance's pooled rows (its environments by column `env`), and the frame `df`."""
    nodes, states = inst["nodes"], inst["states"]
    labels = {v: label_names(states[v]) for v in nodes}
    frame = pd.DataFrame({v: inst["pooled"][v].astype(str).map(dict(zip(states[v], labels[v], strict=True)))
                          for v in nodes})
    frame["env"] = inst["pooled"]["env"].to_numpy()
    spec = "\n".join(f"var {v} in {{{', '.join(labels[v])}}}" for v in nodes)
    spec += (f"\nenvs from df by env\nsearch {{\n    graphs max_parents {max_parents}\n    top 1\n{options}}}\n"
             f"code {code}\n")
    return spec, frame


def kdsl_job(inst: dict, code: str, max_parents: int):
    """The spec and data of one kdsl method on one instance, as a job for ``kdsl.solve_many``."""
    from kdsl import Job

    spec, frame = kdsl_spec(inst, code, max_parents)
    return Job(spec, {"df": frame}, filename=f"{inst['network']}-{inst['seed']}-{code}.kdsl")


def kdsl_output(nodes: list[str], result, seconds: float) -> dict:
    """What the report needs from one kdsl result; ``seconds``: the job's compute time on its worker."""
    if isinstance(result, Exception):
        raise result
    best = result.program(result.best)
    return {"graph": directed(best.edges), "targets": sorted(v for v, g in best.shifts.items() if len(g) > 1),
            "partitions": {v: partition_key(best.shifts[v]) for v in nodes},
            "seconds": seconds, "proven": bool(result.search["proven"]), "method_note": result.search["method"]}


def run_hc(inst: dict, max_parents: int) -> dict:
    from pgmpy.causal_discovery import HillClimbSearch

    frame = inst["pooled"][inst["nodes"]].astype(str)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hc = HillClimbSearch(scoring_method="bic-d", max_indegree=max_parents, return_type="dag",
                             show_progress=False)
        hc.fit(frame)
    seconds = time.perf_counter() - start
    edges = [tuple(map(str, e)) for e in hc.causal_graph_.edges()]
    return {"graph": directed(edges), "edges": edges, "seconds": seconds}


def run_ges(inst: dict, max_parents: int) -> dict:
    from causallearn.search.ScoreBased.GES import ges

    nodes = inst["nodes"]
    params = {"sample_prior": 1, "structure_prior": 1,
              "r_i_map": {i: len(inst["states"][v]) for i, v in enumerate(nodes)}}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = ges(inst["codes"], score_func="local_score_BDeu", maxP=max_parents, parameters=params)
    seconds = time.perf_counter() - start
    return {"graph": from_causallearn(record["G"].graph, nodes), "seconds": seconds}


def run_cdnod(inst: dict, alpha: float = 0.05) -> dict:
    from causallearn.search.ConstraintBased.CDNOD import cdnod

    nodes = inst["nodes"]
    context = inst["pooled"]["env_index"].to_numpy().reshape(-1, 1).astype(np.int64)
    start = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):  # its progress bars ignore show_progress
        warnings.simplefilter("ignore")
        cg = cdnod(inst["codes"], context, alpha=alpha, indep_test="chisq", show_progress=False)
    seconds = time.perf_counter() - start
    matrix = cg.G.graph
    d = len(nodes)
    targets = sorted(nodes[i] for i in range(d) if matrix[i, d] != 0 or matrix[d, i] != 0)
    return {"graph": from_causallearn(matrix[:d, :d], nodes), "targets": targets, "seconds": seconds}


def prepare(task: tuple) -> tuple[dict, dict]:
    """One (network, seed), on a worker: sample the environments and run the baselines."""
    network, seed, rows, n_shifted, max_parents, methods = task
    inst = make_instance(network, seed, rows, n_shifted)
    outputs: dict[str, dict] = {}
    for method in methods:
        if method.startswith("kdsl-"):
            continue  # solved by kdsl.solve_many, all instances together
        if method == "hc-bic":
            outputs[method] = run_hc(inst, max_parents)
        elif method == "hc-bic-cpdag":
            fit = outputs.get("hc-bic") or run_hc(inst, max_parents)
            outputs[method] = {"graph": cpdag(inst["nodes"], fit["edges"]), "seconds": fit["seconds"]}
        elif method == "ges-bdeu":
            outputs[method] = run_ges(inst, max_parents)
        elif method == "cdnod":
            outputs[method] = run_cdnod(inst)
        else:
            raise ValueError(f"unknown method {method}")
    return inst, outputs


def evaluate(inst: dict, outputs: dict[str, dict]) -> dict:
    """Score every method's output on one instance against its truth."""
    network, seed, rows = inst["network"], inst["seed"], len(inst["pooled"]) // len(inst["envs"])
    truth = directed(inst["edges"])
    true_cpdag = cpdag(inst["nodes"], inst["edges"])
    true_icpdag = cpdag(inst["nodes"], inst["edges"], [set(t) for _, t in inst["envs"]])
    true_partitions = {v: true_partition(v, inst["envs"]) for v in inst["nodes"]}
    rows_out = []
    for method, out in outputs.items():
        skeleton, orientation = shd(truth, out["graph"])
        row = {"network": network, "seed": seed, "rows": rows, "method": method, "shd": skeleton + orientation,
               "skeleton": skeleton, "orientation": orientation,
               **reversible_right(inst["edges"], true_cpdag, true_icpdag, out["graph"]),
               "seconds": out["seconds"], "proven": out.get("proven"), "graph": describe(out["graph"])}
        if "partitions" in out:
            row["partitions_right"] = sum(out["partitions"][v] == true_partitions[v] for v in inst["nodes"])
        if "targets" in out:
            found, true = set(out["targets"]), set(inst["targets"])
            row.update(tp=len(found & true), fp=len(found - true), fn=len(true - found), found_targets=sorted(found))
        rows_out.append(row)
    summary = {"network": network, "seed": seed, "rows": rows, "envs": inst["envs"], "targets": inst["targets"],
               "shift_tv": {f"{env}:{var}": tv for (env, var), tv in inst["shift_tv"].items()},
               "true_cpdag_undirected": sum(m == ("--",) for m in true_cpdag.values()),
               "true_icpdag_undirected": sum(m == ("--",) for m in true_icpdag.values()), "edges": len(inst["edges"])}
    return {"summary": summary, "rows": rows_out}


# ----------------------------------------------------------------------------- report


def mean_sd(values) -> str:
    values = list(values)
    if not values:
        return "–"
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.1f} ± {sd:.1f}"


def ratio(num: int, den: int) -> str:
    return f"{num / den:.2f}" if den else "–"


def report(results: list[dict], args, n_rows: int) -> str:
    results = [res for res in results if res["summary"]["rows"] == n_rows]
    rows = [r for res in results for r in res["rows"]]
    summaries = [res["summary"] for res in results]
    networks = [n for n in args.networks if any(s["network"] == n for s in summaries)]
    methods = [m for m in args.methods if any(r["method"] == m for r in rows)]
    out = []
    out.append(f"networks {', '.join(networks)}; seeds {args.first_seed}..{args.first_seed + args.seeds - 1}; "
               f"{n_rows} rows per environment; 1 observational + {args.shifted} shifted environments; "
               f"max_parents {args.max_parents}\n")
    out.append("True graphs (per seed the same DAG; targets vary):\n")
    out.append("| network | variables | edges | reversible edges (undirected in the true CPDAG) "
               "| mean edges still undirected given the true targets | mean true targets |")
    out.append("|---|---|---|---|---|---|")
    for n in networks:
        ss = [s for s in summaries if s["network"] == n]
        d = len(load_network(n).nodes())
        out.append(f"| {n} | {d} | {ss[0]['edges']} | {ss[0]['true_cpdag_undirected']} | "
                   f"{statistics.fmean(s['true_icpdag_undirected'] for s in ss):.1f} | "
                   f"{statistics.fmean(len(s['targets']) for s in ss):.1f} |")
    out.append("")
    out.append("SHD to the true DAG, mean ± sd over seeds (lower is better):\n")
    out.append("| method | " + " | ".join(networks) + " |")
    out.append("|---|" + "---|" * len(networks))
    for m in methods:
        cells = [mean_sd(r["shd"] for r in rows if r["method"] == m and r["network"] == n) for n in networks]
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("SHD split, summed over seeds: skeleton errors (missing + extra adjacencies) / orientation errors "
               "(adjacent in both, wrong or missing direction):\n")
    out.append("| method | " + " | ".join(networks) + " |")
    out.append("|---|" + "---|" * len(networks))
    for m in methods:
        cells = []
        for n in networks:
            rs = [r for r in rows if r["method"] == m and r["network"] == n]
            cells.append(f"{sum(r['skeleton'] for r in rs)} / {sum(r['orientation'] for r in rs)}")
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    out.append("")
    rev_networks = [n for n in networks if any(s["true_cpdag_undirected"] for s in summaries if s["network"] == n)]
    if rev_networks:
        out.append("Reversible true edges (undirected in the true CPDAG) output with the true direction, summed over "
                   "seeds: right / total, first for those the true targets make identifiable (directed in the "
                   "interventional essential graph), then for the rest:\n")
        out.append("| method | " + " | ".join(f"{n} identifiable | {n} not" for n in rev_networks) + " |")
        out.append("|---|" + "---|---|" * len(rev_networks))
        for m in methods:
            cells = []
            for n in rev_networks:
                rs = [r for r in rows if r["method"] == m and r["network"] == n]
                for kind in ("rev_ident", "rev_other"):
                    cells.append(f"{sum(r[kind + '_right'] for r in rs)} / {sum(r[kind] for r in rs)}")
            out.append(f"| {m} | " + " | ".join(cells) + " |")
        out.append("")
    target_methods = [m for m in methods if m in TARGET_METHODS]
    if target_methods:
        out.append("Intervention targets, precision / recall pooled over seeds (TP, FP, FN summed):\n")
        out.append("| method | " + " | ".join(networks) + " | all |")
        out.append("|---|" + "---|" * (len(networks) + 1))
        for m in target_methods:
            cells = []
            for n in [*networks, None]:
                rs = [r for r in rows if r["method"] == m and (n is None or r["network"] == n)]
                tp, fp, fn = (sum(r[k] for r in rs) for k in ("tp", "fp", "fn"))
                cells.append(f"{ratio(tp, tp + fp)} / {ratio(tp, tp + fn)}")
            out.append(f"| {m} | " + " | ".join(cells) + " |")
        out.append("")
    part_methods = [m for m in methods if m.startswith("kdsl-")]
    if part_methods:
        out.append("kdsl's shift partitions: variables whose grouping of the environments is exactly the true one "
                   "(every environment that changed the variable alone, the rest together), summed over seeds:\n")
        out.append("| method | " + " | ".join(networks) + " |")
        out.append("|---|" + "---|" * len(networks))
        for m in part_methods:
            cells = []
            for n in networks:
                rs = [r for r in rows if r["method"] == m and r["network"] == n]
                d = len(load_network(n).nodes())
                cells.append(f"{sum(r['partitions_right'] for r in rs)} / {d * len(rs)}")
            out.append(f"| {m} | " + " | ".join(cells) + " |")
        out.append("")
    out.append("Runtime per (network, seed), seconds, mean ± sd (hc-bic-cpdag reuses the hc-bic fit):\n")
    out.append("| method | " + " | ".join(networks) + " |")
    out.append("|---|" + "---|" * len(networks))
    for m in methods:
        cells = []
        for n in networks:
            secs = [r["seconds"] for r in rows if r["method"] == m and r["network"] == n]
            cells.append(f"{statistics.fmean(secs):.2f} ± {statistics.stdev(secs) if len(secs) > 1 else 0:.2f}")
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    unproven = [r for r in rows if r["proven"] is False]
    out.append("")
    out.append(f"kdsl searches not proven optimal: {len(unproven)}")
    return "\n".join(out)


#: This process's hash seed (a Dask cluster rewrites the variable for its workers).
HASH_SEED = os.environ.get("PYTHONHASHSEED")


def run_all(tasks: list[tuple], args) -> list[dict]:
    """Sampling and baselines in a process pool, one task per instance; then every kdsl method of every
    instance through ``kdsl.solve_many`` on a local Dask cluster (one task per spec, timed by the task stream).

    The baselines stay out of Dask: its workers get a hash seed of Dask's choosing (never 0), and pgmpy's
    ties follow the hash seed (see the end of this file); kdsl's results do not depend on it.
    """
    from distributed import get_task_stream

    import kdsl
    from kdsl.distributed import JOB_KEY, local_cluster

    codes = [m.split("-", 1)[1] for m in args.methods if m.startswith("kdsl-")]
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            prepared = list(pool.map(prepare, tasks))
    else:
        prepared = [prepare(t) for t in tasks]
    with local_cluster(args.workers) as client:
        jobs = [kdsl_job(inst, code, args.max_parents) for inst, _ in prepared for code in codes]
        with get_task_stream(client) as stream:
            solved = kdsl.solve_many(jobs, client=client)
        seconds = {int(str(t["key"]).rsplit("-", 1)[1]): sum(s["stop"] - s["start"] for s in t["startstops"]
                                                             if s["action"] == "compute")
                   for t in stream.data if str(t["key"]).startswith(JOB_KEY)}
    results = []
    for i, (inst, outputs) in enumerate(prepared):
        for j, code in enumerate(codes):
            n = i * len(codes) + j
            outputs[f"kdsl-{code}"] = kdsl_output(inst["nodes"], solved[n], seconds[n])
        results.append(evaluate(inst, {m: outputs[m] for m in args.methods}))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", nargs="+", default=NETWORKS, choices=NETWORKS)
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds per network (default 10)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 250, 4000],
                        help="rows per environment; one table per value (default 1000 250 4000)")
    parser.add_argument("--shifted", type=int, default=3, help="shifted environments besides obs (default 3)")
    parser.add_argument("--max-parents", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=DEFAULT_METHODS, choices=KDSL_METHODS + BASELINES)
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes of a local cluster (default 2)")
    parser.add_argument("--json", type=Path, help="also write every per-run row to this JSON file")
    args = parser.parse_args(argv)

    tasks = [(n, s, r, args.shifted, args.max_parents, args.methods)
             for r in args.rows for n in args.networks for s in range(args.first_seed, args.first_seed + args.seeds)]
    # the slow networks first, so that two workers finish together
    tasks.sort(key=lambda t: -len(load_network(t[0]).nodes()) * t[2])
    start = time.perf_counter()
    results = run_all(tasks, args)
    wall = time.perf_counter() - start
    for n_rows in args.rows:
        print(f"## {n_rows} rows per environment\n")
        print(report(results, args, n_rows))
        print()
    load = os.getloadavg()
    print(f"PYTHONHASHSEED={HASH_SEED}; wall time {wall:.0f} s with {args.workers} Dask worker(s); "
          f"python {platform.python_version()}, {os.cpu_count()} cpu(s), {platform.machine()}; "
          f"load average at the end {load[0]:.1f} (1 min), {load[1]:.1f} (5 min), {load[2]:.1f} (15 min)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0 if all(math.isfinite(r["shd"]) for res in results for r in res["rows"]) else 1


if __name__ == "__main__":
    if "PYTHONHASHSEED" not in os.environ:
        # pgmpy's hill climbing breaks ties in the order it iterates over sets of node-name pairs, which
        # follows Python's string hashing: fix the hash seed so that the table is reproducible
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    raise SystemExit(main())
