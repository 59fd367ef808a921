"""The landscape: certificates of points, RIP constants, RIP thresholds (δ_foc, δ_soc, local
thresholds over B_ε), closed forms, counterexample instances and the published guarantees.

Built on :mod:`spurious.core` only. The modules are private; their public names are
re-exported by :mod:`spurious`.
"""
