"""The particle-identification sample of the LArIAT study: single particles from a test-beam-like gun.

e⁻, γ, μ⁻, π⁻ and p (K⁺ on request: ``particles``), momentum uniform in 0.1–2 GeV/c, entering the
upstream face of the LArIAT TPC within a 5° cone around the beam axis (docs/lartpc-physics.md §1.3),
recorded as the raw readout of both wire planes (240 wires × 3072 ticks of 128 ns each); down-sampling the ticks is a
data option of training (``data.downsample=[1,k]``). Truth: the event class (particle type) and the
particle table, whose first row is the primary (its kinetic energy is energy_init_MeV − mass).
"""

from __future__ import annotations

PARTICLES = ("e-", "gamma", "mu-", "pi-", "p")
WITH_KAONS = (*PARTICLES, "K+")
P_RANGE_MeV = (100.0, 2000.0)


def simulate_overrides(n_events: int, output: str, *, seed: int = 0, tick_downsample: int = 1,
                       particles: tuple[str, ...] = PARTICLES, shard: str = "0/1") -> list[str]:
    """``argonet simulate`` overrides that make the sample (raw ticks unless tick_downsample > 1)."""
    return ["detector=lariat", "generator=gun", f"generator.particles=[{','.join(particles)}]",
            "generator.direction=beamline", f"generator.p_MeV_min={P_RANGE_MeV[0]}",
            f"generator.p_MeV_max={P_RANGE_MeV[1]}", "image.mode=full", f"image.tick_downsample={tick_downsample}",
            f"n_events={n_events}", f"seed={seed}", f"shard={shard}", f"output={output}", "progress=false"]
