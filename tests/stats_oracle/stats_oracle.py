#!/usr/bin/env python3
"""Checks reports/stats against SciPy and small independent references.

Generates seeded random cases (ties and zeros included, n = 1..60 so that the
exact/normal limit of 50 non-zero differences is crossed), runs them through
stats_driver, and compares each result with:

  Wilcoxon W+, n_nonzero      scipy.stats.rankdata of |d| after dropping zeros,
                              and scipy.stats.wilcoxon's one-sided statistic.
  Wilcoxon p, n_nonzero <= 50 the exact permutation distribution of W+ over
                              the sign patterns of the doubled midranks (an
                              integer DP). SciPy 1.10 is no reference once
                              |d| has ties: its method='exact' truncates the
                              midrank sum and uses the no-ties distribution.
                              So the DP is checked against scipy.stats.wilcoxon
                              (method='exact') on every tie-free case and
                              against brute-force enumeration for n <= 16.
  Wilcoxon p, n_nonzero > 50  scipy.stats.wilcoxon(zero_method='wilcox',
                              correction=True, method='approx').
  Hodges-Lehmann              numpy: median of the Walsh averages (d_i+d_j)/2,
                              i <= j, and [A_(c+1), A_(M-c)] with c the largest
                              integer with P(W+ <= c) <= (1-confidence)/2 under
                              the no-ties null for n = len(d), zeros kept.
                              P(W+ <= c) is taken from scipy.stats.wilcoxon
                              (alternative='less'; exact for n <= 50, normal
                              with continuity correction beyond) on a tie-free
                              sample whose W+ is c, cross-checked against the
                              integer DP (exact) or the normal formula.
  Holm                        a plain-Python reference from the definition:
                              adj_i = min(1, max over p_j <= p_i of
                              (m - #{k: p_k < p_j}) * p_j).

  KS two-sample distance      scipy.stats.ks_2samp(a, b).statistic (samples
                              with ties within and across, n = 1..300).
  KS distance to lognormal    scipy.stats.kstest(x, 'lognorm',
                              args=(sigma, 0, exp(mu))).statistic.

Tolerances (relative): W+, n_nonzero, the exact flag and "no interval" must be
equal; exact p 1e-12 (both sides compute a dyadic rational exactly, so in
practice they are bit-identical); normal-approximation p 1e-9 (same formula,
different normal tail implementations); Hodges-Lehmann estimate and interval
ends 1e-12 (order statistics of the same Walsh averages); Holm 1e-12; KS
two-sample 1e-12 (differences of the same rationals); KS to a lognormal 1e-9
(the CDF through erfc here, SciPy's own special functions there).

Exit status: 0 all agree, 1 a mismatch (listed), 2 usage or driver failure,
77 SciPy or NumPy not importable (ctest reports the test as skipped).

Usage: stats_oracle.py DRIVER [--seed S] [--cases N] [--holm-cases N]
                              [--write-cases FILE]
"""

import argparse
import math
import random
import subprocess
import sys
import warnings
from fractions import Fraction

SKIP = 77
EXACT_LIMIT = 50  # reports/stats.h: kExactWilcoxonLimit
# 0.5 and 0.75 make (1 - confidence)/2 dyadic, so P(W+ <= c) can equal it:
# the "<=" in the critical value's definition is then tested too.
CONFIDENCES = (0.95, 0.95, 0.95, 0.95, 0.95, 0.9, 0.99, 0.8, 0.5, 0.75)

try:
    import numpy as np
    import scipy
    from scipy import stats as sps
except ImportError as error:
    print(f"stats_oracle: SKIP: {error} (Debian: apt-get install python3-scipy)")
    sys.exit(SKIP)


# ---------------------------------------------------------------- cases

def random_differences(rng, n):
    """A vector of n paired differences of one of several shapes, most with
    ties and zeros. Values are exactly representable or plain doubles; they
    reach the driver through repr(), which round-trips."""
    shape = rng.choice(["continuous", "continuous", "rounded", "integers", "integers",
                        "half_grid", "zero_heavy", "one_magnitude", "shifted", "scaled"]
                       + ["all_zero"] * (rng.random() < 0.2))
    mu = rng.choice([0.0, 0.0, 0.2, 0.5, 1.0, -0.7])
    if shape == "continuous":
        return shape, [rng.gauss(mu, 1.0) for _ in range(n)]
    if shape == "rounded":
        return shape, [round(rng.gauss(mu, 1.0), 1) for _ in range(n)]
    if shape == "integers":
        k = rng.choice([1, 2, 3, 5, 10])
        shift = rng.choice([0, 0, 1, -1])
        return shape, [float(rng.randint(-k, k) + shift) for _ in range(n)]
    if shape == "half_grid":
        return shape, [round(rng.gauss(mu, 1.5) * 2) / 2 for _ in range(n)]
    if shape == "zero_heavy":
        return shape, [0.0 if rng.random() < 0.6 else float(rng.randint(-4, 6))
                       for _ in range(n)]
    if shape == "one_magnitude":
        c = rng.choice([1.0, 0.25, 3.0])
        return shape, [0.0 if rng.random() < 0.1 else (c if rng.random() < 0.6 else -c)
                       for _ in range(n)]
    if shape == "shifted":
        return shape, [rng.gauss(2.5, 1.0) for _ in range(n)]
    if shape == "scaled":
        scale = rng.choice([1e-6, 1e6, 1e-12])
        return shape, [rng.gauss(mu, 1.0) * scale for _ in range(n)]
    return shape, [0.0] * n


def random_p_values(rng, wilcoxon_ps):
    m = rng.randint(0, 30)
    ps = []
    for _ in range(m):
        kind = rng.random()
        if kind < 0.35:
            ps.append(rng.random())
        elif kind < 0.55:
            ps.append(10.0 ** -rng.uniform(0, 12))
        elif kind < 0.7 and ps:
            ps.append(rng.choice(ps))  # an exact tie
        elif kind < 0.8:
            ps.append(rng.choice([0.0, 1.0, 0.05, 0.5]))
        else:
            ps.append(rng.choice(wilcoxon_ps) if wilcoxon_ps else rng.random())
    return ps


# ---------------------------------------------------------------- references

def doubled_midranks(magnitudes):
    return np.rint(2 * sps.rankdata(magnitudes)).astype(np.int64)


def sign_pattern_counts(doubled_ranks):
    """counts[s] = number of sign patterns whose positive doubled ranks sum to
    s. int64 holds them: at most 2^50 patterns."""
    counts = np.zeros(int(doubled_ranks.sum()) + 1, dtype=np.int64)
    counts[0] = 1
    for r in doubled_ranks:
        shifted = counts[:len(counts) - r].copy()
        counts[r:] += shifted
    return counts


def brute_force_counts(doubled_ranks):
    n = len(doubled_ranks)
    masks = (np.arange(1 << n, dtype=np.int64)[:, None] >> np.arange(n)) & 1
    sums = masks @ doubled_ranks
    return np.bincount(sums, minlength=int(doubled_ranks.sum()) + 1)


def exact_two_sided_p(counts, doubled_w_plus, n):
    at_most = int(counts[:doubled_w_plus + 1].sum())
    at_least = int(counts[doubled_w_plus:].sum())
    return min(Fraction(1), Fraction(2 * min(at_most, at_least), 2 ** n))


def tie_free_sample_with_w_plus(n, c):
    """+-1..+-n with the positive ranks summing to c (greedy from n down)."""
    left, d = c, []
    for k in range(n, 0, -1):
        if k <= left:
            left -= k
            d.append(float(k))
        else:
            d.append(-float(k))
    assert left == 0
    return d


class CriticalValues:
    """c(n, tail): the largest c with P(W+ <= c) <= tail under the no-ties
    null with n pairs, or -1. From SciPy, checked against an own derivation."""

    def __init__(self):
        self.cache = {}
        self.null_counts = {}

    def scipy_lower_tail(self, n, c):
        method = "exact" if n <= EXACT_LIMIT else "approx"
        return sps.wilcoxon(tie_free_sample_with_w_plus(n, c), method=method,
                            alternative="less", correction=True).pvalue

    def own_lower_tail_at_most(self, n, c, tail):
        """Whether P(W+ <= c) <= tail by the own derivation."""
        if n <= EXACT_LIMIT:
            if n not in self.null_counts:
                counts = sign_pattern_counts(np.arange(1, n + 1, dtype=np.int64))
                self.null_counts[n] = np.cumsum(counts)
            return Fraction(int(self.null_counts[n][c]), 2 ** n) <= Fraction(tail)
        mean = n * (n + 1) / 4
        sd = math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
        return 0.5 * math.erfc(-(c + 0.5 - mean) / sd / math.sqrt(2)) <= tail

    def __call__(self, n, tail):
        key = (n, tail)
        if key not in self.cache:
            lo, hi = -1, n * (n + 1) // 2  # P(W+ <= lo) = 0 <= tail < 1 = P(W+ <= hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self.scipy_lower_tail(n, mid) <= tail:
                    lo = mid
                else:
                    hi = mid
            # The own derivation must put the boundary in the same place.
            agrees = ((lo < 0 or self.own_lower_tail_at_most(n, lo, tail))
                      and not self.own_lower_tail_at_most(n, hi, tail))
            if not agrees:
                raise OracleError(f"critical value n={n} tail={tail}: SciPy says c={lo}, "
                                  "the own derivation disagrees")
            self.cache[key] = lo
        return self.cache[key]


class OracleError(Exception):
    """The references disagree among themselves: a defect of this script."""


def reference_signed_rank(d, checks):
    """(n_nonzero, w_plus, p_value, exact) for differences d."""
    d = np.asarray(d, dtype=np.float64)
    nz = d[d != 0]
    n = len(nz)
    if n == 0:
        return 0, 0.0, 1.0, True
    ranks = sps.rankdata(np.abs(nz))
    w_plus = float(ranks[nz > 0].sum())
    doubled = doubled_midranks(np.abs(nz))
    doubled_w_plus = int(doubled[nz > 0].sum())
    has_ties = len(np.unique(np.abs(nz))) < n
    # SciPy's own statistic: r_plus for a one-sided test (the method only
    # decides the p-value; zeros dropped by zero_method='wilcox').
    scipy_w_plus = sps.wilcoxon(d, zero_method="wilcox", method="approx",
                                alternative="greater").statistic
    if scipy_w_plus != w_plus or doubled_w_plus != 2 * w_plus:
        raise OracleError(f"W+: rankdata {w_plus}, scipy {scipy_w_plus}, "
                          f"doubled {doubled_w_plus}")
    if n <= EXACT_LIMIT:
        counts = sign_pattern_counts(doubled)
        p = exact_two_sided_p(counts, doubled_w_plus, n)
        if n <= 16:
            if not np.array_equal(counts, brute_force_counts(doubled)):
                raise OracleError("sign-pattern DP differs from enumeration")
            checks["dp_vs_enumeration"] += 1
        if not has_ties:
            scipy_p = sps.wilcoxon(nz, method="exact").pvalue
            if not math.isclose(scipy_p, float(p), rel_tol=1e-12):
                raise OracleError(f"exact p: DP {float(p)!r}, scipy {scipy_p!r}")
            checks["dp_vs_scipy_exact"] += 1
        return n, w_plus, float(p), True
    p = sps.wilcoxon(d, zero_method="wilcox", correction=True, method="approx").pvalue
    checks["scipy_approx"] += 1
    return n, w_plus, float(p), False


def reference_hodges_lehmann(d, confidence, critical_values):
    """(estimate, low, high); low and high None when no interval exists."""
    d = np.asarray(d, dtype=np.float64)
    n = len(d)
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2)
    estimate = float(np.median(walsh))
    c = critical_values(n, (1 - confidence) / 2)
    if c < 0:
        return estimate, None, None
    return estimate, float(walsh[c]), float(walsh[len(walsh) - 1 - c])


def random_ks_case(rng):
    """Two samples for the two-sample KS distance: continuous, rounded (ties
    within and across the samples) or shifted/scaled against each other."""
    na, nb = rng.randint(1, 300), rng.randint(1, 300)
    shift = rng.choice([0.0, 0.0, 0.1, 0.5, 2.0])
    scale = rng.choice([1.0, 1.0, 1.5, 0.5])
    a = [rng.lognormvariate(0, 1) for _ in range(na)]
    b = [shift + scale * rng.lognormvariate(0, 1) for _ in range(nb)]
    if rng.random() < 0.4:
        a = [round(x, 1) for x in a]
        b = [round(x, 1) for x in b]
    return a, b


def random_lognormal_case(rng):
    """A sample and lognormal parameters, the sample from the same or a
    different distribution."""
    n = rng.randint(1, 400)
    mu, sigma = rng.uniform(-1, 5), rng.uniform(0.1, 2)
    true_mu = mu + rng.choice([0.0, 0.0, 0.3, -0.5])
    x = [rng.lognormvariate(true_mu, sigma * rng.choice([1.0, 1.0, 1.4])) for _ in range(n)]
    return mu, sigma, x


def reference_holm(ps):
    m = len(ps)
    below = [sum(1 for p_k in ps if p_k < p_j) for p_j in ps]
    adjusted = []
    for p_i in ps:
        worst = 0.0
        for p_j, below_j in zip(ps, below):
            if p_j <= p_i:
                worst = max(worst, min(1.0, (m - below_j) * p_j))
        adjusted.append(worst)
    return adjusted


# ---------------------------------------------------------------- comparison

def close(actual, expected, rel):
    if actual is None or expected is None:
        return actual is expected
    if actual == expected:
        return True
    return abs(actual - expected) <= rel * abs(expected)


def relative_error(actual, expected):
    if actual is None or expected is None or actual == expected:
        return 0.0
    return abs(actual - expected) / max(abs(expected), 1e-300)


def parse_number(token):
    return None if token == "-" else float(token)


def run_driver(driver, lines):
    text = "".join(line + "\n" for line in lines)
    try:
        done = subprocess.run([driver], input=text, capture_output=True, text=True, check=False)
    except OSError as error:
        print(f"stats_oracle: cannot run {driver}: {error}")
        sys.exit(2)
    if done.returncode != 0:
        print(f"stats_oracle: {driver} exited {done.returncode}: {done.stderr.strip()}")
        sys.exit(2)
    out = done.stdout.splitlines()
    if len(out) != len(lines):
        print(f"stats_oracle: sent {len(lines)} cases, got {len(out)} results")
        sys.exit(2)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("driver")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--cases", type=int, default=1500, help="signed-rank/HL cases")
    parser.add_argument("--holm-cases", type=int, default=300)
    parser.add_argument("--ks-cases", type=int, default=300, help="per KS kind")
    parser.add_argument("--write-cases", metavar="FILE",
                        help="also write the driver's input here, to rerun by hand")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # SciPy warns about small n and exact/zeros

    rng = random.Random(args.seed)
    print(f"stats_oracle: seed {args.seed}, SciPy {scipy.__version__}, "
          f"NumPy {np.__version__}")

    lines, expected, shapes = [], [], {}
    checks = {"dp_vs_enumeration": 0, "dp_vs_scipy_exact": 0, "scipy_approx": 0}
    critical_values = CriticalValues()
    try:
        for case in range(args.cases):
            # Every n in 1..60 equally often, plus a third more near the
            # exact/normal limit of 50 non-zero differences.
            n = case // 3 % 60 + 1 if case % 3 else rng.randint(45, 60)
            shape, d = random_differences(rng, n)
            shapes[shape] = shapes.get(shape, 0) + 1
            confidence = rng.choice(CONFIDENCES)
            lines.append(f"W {case} {confidence!r} " + " ".join(repr(v) for v in d))
            expected.append(reference_signed_rank(d, checks) +
                            reference_hodges_lehmann(d, confidence, critical_values))
        wilcoxon_ps = [e[2] for e in expected]
        for case in range(args.holm_cases):
            ps = random_p_values(rng, wilcoxon_ps)
            lines.append(f"H {case} " + " ".join(repr(p) for p in ps))
            expected.append(reference_holm(ps))
        for case in range(args.ks_cases):
            a, b = random_ks_case(rng)
            lines.append(f"K {case} {len(a)} " + " ".join(repr(v) for v in a + b))
            expected.append(float(sps.ks_2samp(a, b).statistic))
        for case in range(args.ks_cases):
            mu, sigma, x = random_lognormal_case(rng)
            lines.append(f"L {case} {mu!r} {sigma!r} " + " ".join(repr(v) for v in x))
            expected.append(float(sps.kstest(x, "lognorm", args=(sigma, 0, math.exp(mu))).statistic))
    except OracleError as error:
        print(f"stats_oracle: the references disagree (a defect of this script): {error}")
        return 2

    if args.write_cases:
        with open(args.write_cases, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))

    results = run_driver(args.driver, lines)
    failures = []
    worst = {"exact p": 0.0, "normal p": 0.0, "HL": 0.0, "Holm": 0.0, "KS": 0.0, "KS lognormal": 0.0}
    counts = {"exact": 0, "normal": 0, "ties": 0, "exact ties": 0, "zeros": 0, "interval": 0,
              "no interval": 0, "holm": 0, "ks": 0}

    def fail(line, what, got, want):
        failures.append(f"{what}: got {got!r}, want {want!r}\n    case: {line[:200]}")

    for line, result, want in zip(lines, results, expected):
        fields = result.split()
        if fields[:2] != line.split()[:2]:
            print(f"stats_oracle: result out of order: {result[:80]}")
            return 2
        if fields[0] in ("K", "L"):
            counts["ks"] += 1
            key, tolerance = ("KS", 1e-12) if fields[0] == "K" else ("KS lognormal", 1e-9)
            got = float(fields[2])
            worst[key] = max(worst[key], relative_error(got, want))
            if not close(got, want, tolerance) and abs(got - want) > 1e-15:
                fail(line, f"{key} distance", got, want)
            continue
        if fields[0] == "H":
            counts["holm"] += 1
            got = [float(x) for x in fields[2:]]
            if len(got) != len(want):
                fail(line, "Holm length", len(got), len(want))
                continue
            for g, w in zip(got, want):
                worst["Holm"] = max(worst["Holm"], relative_error(g, w))
                if not close(g, w, 1e-12):
                    fail(line, "Holm adjusted p", got, want)
                    break
            continue
        n_nz, w_plus, p, exact, est, low, high = want
        got_n, got_w, got_p = int(fields[2]), float(fields[3]), float(fields[4])
        got_exact = fields[5] == "1"
        got_est, got_low, got_high = (parse_number(x) for x in fields[6:9])
        d = [float(x) for x in line.split()[3:]]
        nz = [abs(x) for x in d if x != 0]
        counts["exact" if exact else "normal"] += 1
        counts["ties"] += len(set(nz)) < len(nz)
        counts["exact ties"] += exact and len(set(nz)) < len(nz)
        counts["zeros"] += len(nz) < len(d)
        counts["interval" if low is not None else "no interval"] += 1
        if got_n != n_nz:
            fail(line, "n_nonzero", got_n, n_nz)
        if got_w != w_plus:
            fail(line, "W+", got_w, w_plus)
        if got_exact != exact:
            fail(line, "exact flag", got_exact, exact)
        key = "exact p" if exact else "normal p"
        worst[key] = max(worst[key], relative_error(got_p, p))
        if not close(got_p, p, 1e-12 if exact else 1e-9):
            fail(line, f"{key}-value", got_p, p)
        for what, g, w in (("HL estimate", got_est, est), ("HL low", got_low, low),
                           ("HL high", got_high, high)):
            worst["HL"] = max(worst["HL"], relative_error(g, w))
            if not close(g, w, 1e-12):
                fail(line, what, g, w)

    print(f"stats_oracle: {args.cases} signed-rank/HL cases ({counts['exact']} exact, "
          f"{counts['normal']} normal; {counts['ties']} with ties, {counts['exact ties']} of them "
          f"exact; {counts['zeros']} with "
          f"zeros; {counts['interval']} with an interval, {counts['no interval']} without), "
          f"{counts['holm']} Holm cases, {counts['ks']} KS cases")
    print("stats_oracle: shapes " + ", ".join(f"{k} {v}" for k, v in sorted(shapes.items())))
    print("stats_oracle: reference cross-checks " +
          ", ".join(f"{k} {v}" for k, v in checks.items()))
    print("stats_oracle: largest relative deviation " +
          ", ".join(f"{k} {v:.3g}" for k, v in worst.items()))
    if failures:
        print(f"stats_oracle: FAIL: {len(failures)} mismatches (seed {args.seed}); first ones:")
        for f in failures[:15]:
            print("  " + f)
        return 1
    print("stats_oracle: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
