"""Cause-effect pairs simulated like real recordings: kdsl (poly + histogram under nml) vs causal-learn's ANM.

    PYTHONPATH=. python bench/real_pairs.py                  # 6 shapes x 5 noise laws x 2 recordings, 400 rows
    PYTHONPATH=. python bench/real_pairs.py --rows 300 --no-anm

Each pair: a cause X (standard normal, or uniform on [-2, 2], by the pair's
seed), an effect Y = f(X) + noise, with

* f: linear, cubic (x + 0.3 x^3), tanh (2 tanh 1.5x), quadratic (x^2, not
  invertible), sine (sin 2x + 0.5x), exponential (exp(x / 1.5));
* noise (scale 0.4): gaussian, uniform, laplace, student-t with 3 degrees of
  freedom (heavy tails), gaussian with 2 % outliers (replaced by +-8 sd);
* recording: two decimals (step 0.01), or coarse integers (both variables
  times 4, rounded to whole numbers, step 1).

The two columns are shown in a random order (named A and B), so no method can
profit from the order. kdsl: ``search { graphs; classes poly, histogram }``,
``code nml``, one environment; it decides a direction when its algorithmic
causes hold the edge; "fit only" counts only orientations whose source is the
fit (docs/verdicts.md), not those resting on parameter bits. ANM
(causal-learn ``ANM().cause_or_effect``: GP regression both ways, KCI test of
residual independence) decides the direction with the larger p-value.

Linear-Gaussian pairs are not identifiable by either kind of method; they are
kept and shown on their own row.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

import kdsl

SHAPES = {
    "linear": lambda x: x,
    "cubic": lambda x: x + 0.3 * x**3,
    "tanh": lambda x: 2 * np.tanh(1.5 * x),
    "quadratic": lambda x: x**2,
    "sine": lambda x: np.sin(2 * x) + 0.5 * x,
    "exponential": lambda x: np.exp(x / 1.5),
}
NOISES = ("gaussian", "uniform", "laplace", "student-t3", "outliers")
RECORDINGS = ("two decimals", "integers")


def noise(law: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if law == "gaussian":
        return rng.normal(0, 0.4, n)
    if law == "uniform":
        return rng.uniform(-0.4 * 3**0.5, 0.4 * 3**0.5, n)
    if law == "laplace":
        return rng.laplace(0, 0.4 / 2**0.5, n)
    if law == "student-t3":
        return 0.4 * rng.standard_t(3, n) / 3**0.5
    if law == "outliers":
        e = rng.normal(0, 0.4, n)
        hit = rng.random(n) < 0.02
        e[hit] = rng.choice([-1, 1], hit.sum()) * 8 * 0.4
        return e
    raise ValueError(law)


def pair(shape: str, law: str, recording: str, n: int, seed: int):
    """(columns A and B, step, the true direction as a pair of names)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n) if seed % 2 else rng.uniform(-2, 2, n)
    y = SHAPES[shape](x) + noise(law, n, rng)
    if recording == "integers":
        x, y, step = np.round(4 * x), np.round(4 * y), 1.0
    else:
        x, y, step = np.round(x, 2), np.round(y, 2), 0.01
    if rng.random() < 0.5:
        return {"A": x, "B": y}, step, ("A", "B")
    return {"A": y, "B": x}, step, ("B", "A")


def run_kdsl(cols: dict, step: float) -> tuple[tuple[str, str] | None, str | None]:
    spec = (f"var A real step {step!r}\nvar B real step {step!r}\nenv a from d\n"
            "search {\n graphs\n classes poly, histogram\n}\ncode nml")
    result = kdsl.solve(spec, data={"d": cols})
    if not result.causes:
        return None, None
    edge = result.causes[0]
    source = next((m.orientation for m in result.edges_margin if (m.parent, m.child) == edge), None)
    return edge, source


def run_anm(cols: dict) -> tuple[str, str] | None:
    from causallearn.search.FCMBased.ANM.ANM import ANM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's GP hyperparameters at their bounds
        forward, backward = ANM().cause_or_effect(cols["A"].reshape(-1, 1), cols["B"].reshape(-1, 1))
    if forward == backward:
        return None
    return ("A", "B") if forward > backward else ("B", "A")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--no-anm", action="store_true")
    args = parser.parse_args()
    print(f"{args.rows} rows per pair; load average at start {os.getloadavg()[0]:.2f}")
    rows = []
    seed = 0
    for shape in SHAPES:
        for law in NOISES:
            for recording in RECORDINGS:
                seed += 1
                cols, step, truth = pair(shape, law, recording, args.rows, seed)
                start = time.perf_counter()
                edge, source = run_kdsl(cols, step)
                t_kdsl = time.perf_counter() - start
                anm, t_anm = None, float("nan")
                if not args.no_anm:
                    start = time.perf_counter()
                    anm = run_anm(cols)
                    t_anm = time.perf_counter() - start
                rows.append({"shape": shape, "law": law, "recording": recording, "truth": truth, "kdsl": edge,
                             "source": source, "anm": anm, "t_kdsl": t_kdsl, "t_anm": t_anm})
                print(f"{shape:12s} {law:11s} {recording:12s} kdsl {_verdict(edge, truth):9s} ({source or '-':10s}) "
                      f"{t_kdsl:5.1f} s  ANM {_verdict(anm, truth) if not args.no_anm else '-':9s} {t_anm:5.1f} s  "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
    summary(rows, not args.no_anm)


def _verdict(edge, truth) -> str:
    return "undecided" if edge is None else ("right" if edge == truth else "wrong")


def _tally(rows, key, fit_only=False) -> str:
    right = wrong = undecided = 0
    for r in rows:
        edge = r[key]
        if fit_only and r["source"] != "fit":
            edge = None
        v = _verdict(edge, r["truth"])
        right, wrong, undecided = right + (v == "right"), wrong + (v == "wrong"), undecided + (v == "undecided")
    decided = right + wrong
    accuracy = f"{right / decided:.2f}" if decided else "—"
    return f"{right} / {wrong} / {undecided} | {accuracy}"


def summary(rows, with_anm: bool) -> None:
    groups = {"all pairs": rows,
              "identifiable (not linear-gaussian)": [r for r in rows if not (r["shape"] == "linear" and r["law"] ==
                                                                           "gaussian")],
              "linear-gaussian": [r for r in rows if r["shape"] == "linear" and r["law"] == "gaussian"]}
    groups.update({f"shape {s}": [r for r in rows if r["shape"] == s] for s in SHAPES})
    groups.update({f"noise {n}": [r for r in rows if r["law"] == n] for n in NOISES})
    groups.update({f"recorded as {c}": [r for r in rows if r["recording"] == c] for c in RECORDINGS})
    print("\nright / wrong / undecided | accuracy among decided")
    print("| pairs | n | kdsl (every cause) | kdsl (fit only) |" + (" ANM |" if with_anm else ""))
    print("|---|---|---|---|" + ("---|" if with_anm else ""))
    for name, group in groups.items():
        line = f"| {name} | {len(group)} | {_tally(group, 'kdsl')} | {_tally(group, 'kdsl', True)} |"
        print(line + (f" {_tally(group, 'anm')} |" if with_anm else ""))
    t_k = [r["t_kdsl"] for r in rows]
    t_a = [r["t_anm"] for r in rows if not np.isnan(r["t_anm"])]
    print(f"\nseconds per pair: kdsl median {np.median(t_k):.2f}" + (f", ANM median {np.median(t_a):.2f}" if t_a else ""))


if __name__ == "__main__":
    main()
