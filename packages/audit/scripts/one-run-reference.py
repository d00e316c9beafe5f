"""Reference values for the one-run audit tests (packages/audit/src/one-run/one-run.test.ts).

An independent implementation of the published formulas with SciPy's binomial and normal distributions and
mpmath for the Gaussian-mechanism calibration, written from the papers:
- Steinke, Nasr, Jagielski 2023, "Privacy Auditing with One (1) Training Run", arXiv:2305.08846, Thm. 5.2.
- Mahloujifar, Melis, Chaudhuri 2024, "Auditing f-Differential Privacy in One Run", arXiv:2410.22235, Alg. 2.
Run: python3 packages/audit/scripts/one-run-reference.py > packages/audit/src/fixtures/one-run-reference.json
"""
import json
import math

import mpmath
import scipy
from scipy.optimize import brentq
from scipy.stats import binom, norm

mpmath.mp.dps = 40


def p_value(m, r, v, eps, delta):
    q = 1 / (1 + math.exp(-eps))
    tail = binom.sf(v - 1, r, q)  # P[X >= v]
    if delta == 0:
        return min(1.0, tail)
    worst = 0.0
    for i in range(1, v + 1):
        worst = max(worst, (binom.sf(v - i - 1, r, q) - tail) / i)
    return min(1.0, tail + 2 * m * delta * worst)


def gaussian_mu(eps, delta):
    # mu with Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2) = delta, in 40-digit arithmetic
    f = lambda mu: mpmath.ncdf(-eps / mu + mu / 2) - mpmath.e ** eps * mpmath.ncdf(-eps / mu - mu / 2) - delta
    lo, hi = mpmath.mpf('1e-6'), mpmath.mpf(1)
    while f(hi) < 0:
        lo, hi = hi, hi * 2
    return float(mpmath.findroot(f, (lo, hi), solver='bisect', tol=mpmath.mpf('1e-30')))


def fdp_gap(m, g, v, eps, delta, s):
    mu = gaussian_mu(eps, delta)
    r, h = s * v / m, s * (g - v) / m
    for i in range(v - 1, -1, -1):
        h2 = max(h, norm.cdf(norm.ppf(r) - mu))
        if h2 == h:
            break
        r = min(r + i / (g - i) * (h2 - h), 1.0)
        h = h2
    return r + h - g / m


def largest(gap):
    if gap(0.0) <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    while gap(hi) > 0:
        lo, hi = hi, 2 * hi
    return brentq(gap, lo, hi, xtol=1e-13, rtol=1e-14)


CASES = [
    # m, guesses, correct, significance, delta
    (1000, 100, 95, 0.05, 0.0),
    (1000, 100, 95, 0.05, 1e-5),
    (1000, 200, 160, 0.05, 1e-5),
    (1000, 50, 50, 0.05, 1e-5),
    (10000, 500, 420, 0.05, 1e-5),
    (1000, 1000, 700, 0.01, 1e-6),
    (200, 20, 19, 0.1, 1e-3),
    (1000, 100, 60, 0.05, 1e-5),
]

rows = []
for m, g, v, s, d in CASES:
    row = {'canaries': m, 'guesses': g, 'correct': v, 'significance': s, 'delta': d}
    row['steinke2023'] = largest(lambda e: s - p_value(m, g, v, e, d))
    if d > 0:
        row['mahloujifar2024'] = largest(lambda e: fdp_gap(m, g, v, e, d, s))
    rows.append(row)

print(json.dumps({
    'provenance': 'packages/audit/scripts/one-run-reference.py: independent SciPy %s / mpmath %s implementation of '
                  'Steinke et al. 2023 Thm. 5.2 and Mahloujifar et al. 2024 Alg. 2; brentq xtol 1e-13'
                  % (scipy.__version__, mpmath.__version__),
    'cases': rows,
}, indent=2))
