"""Tail integrals I(u) = ∫_u^∞ (α+v)^−p (β+v)^−q dv where z = |α−β|/(max(α,β)+u) is within 1e-9
of 1 (the numerical fallback of src/numerics/tail.rs), in the relative form
rel = ln I(u) + p ln(α+u) + q ln(β+u), from the closed form
I(u) = (β+u)^−w / w · ₂F₁(p, w; w+1; (β−α)/(β+u)), w = p + q − 1 (α < β), at 60 digits.
Printed as (alpha, beta, p, q, u, rel) rows for `tail_fallback_matches_the_closed_form`.

    python3 scripts/tail_fallback_reference.py
"""
from mpmath import mp, mpf, hyp2f1, log

mp.dps = 60

r = mpf("0.010047753504861904")
alpha = mpf("0.00455400004322297")
s = mpf("166.92001341705244")
beta = mpf("26038804.10334735")
t = mpf("4.554197907217585e-3")

for p, q, u in [(r, s + 1, mpf(0)), (r + 1, s, t)]:
    w = p + q - 1
    i = (beta + u) ** (-w) / w * hyp2f1(p, w, w + 1, (beta - alpha) / (beta + u))
    rel = log(i) + p * log(alpha + u) + q * log(beta + u)
    print(f"({float(alpha)!r}, {float(beta)!r}, {float(p)!r}, {float(q)!r}, {float(u)!r}, {float(rel)!r}),")
