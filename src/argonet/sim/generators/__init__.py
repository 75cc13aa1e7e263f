"""Event generators: neutrino interactions, particle gun, cosmic muons."""
