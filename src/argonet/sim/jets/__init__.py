"""Jets from pp collisions: Pythia 8 events, FastJet jets, jet images and high-level features."""

from argonet.sim.jets.generate import FEATURE_DTYPE, JetGenerator, JetRecord, generate_jets

__all__ = ["FEATURE_DTYPE", "JetGenerator", "JetRecord", "generate_jets"]
