"""argonet.data"""

from argonet.sim.jit_cache import ensure_kernel_cache

ensure_kernel_cache(__file__)      # before any kernel is defined: a read-only install still runs
