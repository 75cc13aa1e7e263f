"""Submanifold sparse networks in plain torch: active-site grids and rulebooks, layers, the sparse UResNet."""
