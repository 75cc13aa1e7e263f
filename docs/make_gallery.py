"""Regenerate the event-display gallery in docs/gallery/ (one event of each class).

    python docs/make_gallery.py
"""

from __future__ import annotations

from pathlib import Path

from argonet.conf.compose import compose
from argonet.conf.sim import SimulateConfig
from argonet.sim.pipeline import simulate_event
from argonet.viz.display import plot_event, save

OUT = Path(__file__).parent / "gallery"

#: file name → (title, overrides)
SAMPLES = {
    "ccqe": ("numu CCQE", ["generator.classes=[CCQE]"]),
    "ccres": ("numu CC resonant", ["generator.classes=[CCRES]"]),
    "ncqe": ("NC elastic", ["generator.classes=[NCQE]"]),
    "ncres": ("NC resonant", ["generator.classes=[NCRES]"]),
    "nue_cc": ("nue CC", ["generator.classes=[NUE_CC]"]),
    "single_e": ("single e- 400 MeV", ["generator=gun", "generator.particles=[e-]", "generator.ke_MeV_min=400",
                                       "generator.ke_MeV_max=400"]),
    "single_gamma": ("single gamma 400 MeV", ["generator=gun", "generator.particles=[gamma]",
                                              "generator.ke_MeV_min=400", "generator.ke_MeV_max=400"]),
    "single_mu": ("single mu- 300 MeV", ["generator=gun", "generator.particles=[mu-]", "generator.ke_MeV_min=300",
                                         "generator.ke_MeV_max=300"]),
    "single_pi": ("single pi- 250 MeV", ["generator=gun", "generator.particles=[pi-]", "generator.ke_MeV_min=250",
                                         "generator.ke_MeV_max=250"]),
    "single_p": ("single proton 200 MeV", ["generator=gun", "generator.particles=[p]", "generator.ke_MeV_min=200",
                                           "generator.ke_MeV_max=200"]),
    "cosmics_full": ("SBND full readout: cosmics only", ["generator=cosmics", "image.mode=full"]),
    "nu_cosmics_full": ("SBND full readout: numu CC + cosmics",
                        ["generator.classes=[CCQE]", "generator.cosmics=true", "image.mode=full"]),
}


def main(seed: int = 7) -> None:
    """Simulate and draw each sample."""
    OUT.mkdir(exist_ok=True)
    for name, (title, overrides) in SAMPLES.items():
        cfg = compose("simulate", SimulateConfig, overrides + [f"seed={seed}", "n_events=1"])
        ev = simulate_event(cfg, 0)
        label_rows = [("truth", "semantic", [s.dense() for s in ev.semantic]),
                      ("truth", "kind", [s.dense() for s in ev.kind])]
        full = cfg.image.mode == "full"
        fig = plot_event([c.dense() for c in ev.charge], [c.meta for c in ev.charge],
                         label_rows[:1] if full else label_rows, title=f"{title}  (argonet simulate, seed {seed})",
                         zoom=not full)
        save(fig, str(OUT / f"{name}.png"))
        print(f"{name}: {sum(len(c.index) for c in ev.charge)} stored pixels")


if __name__ == "__main__":
    main()
