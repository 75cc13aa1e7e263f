"""Physical constants in one place; every name carries its unit.

Sources are the tags of ``lartpc-physics.md`` (PDG, NIST, LArSoft, Wire-Cell, ArgoNeuT).
Internal units: cm, ns (times of particles), us (drift and readout), MeV, electrons.
"""

from __future__ import annotations

import math

# --- masses (PDG), MeV ---
electron_mass_MeV = 0.51099895
muon_mass_MeV = 105.6583755
pion_charged_mass_MeV = 139.57039
pion_neutral_mass_MeV = 134.9768
proton_mass_MeV = 938.27208816
neutron_mass_MeV = 939.56542052
kaon_charged_mass_MeV = 493.677
tau_mass_MeV = 1776.86

# --- lifetimes ---
muon_lifetime_ns = 2196.9811
muon_minus_argon_lifetime_ns = 560.0          # bound mu- in Ar (capture competes), unverified
muon_minus_capture_fraction_argon = 0.75      # §3.9, unverified
pion_charged_lifetime_ns = 26.033
michel_endpoint_MeV = 52.83                   # (m_mu^2 + m_e^2) / (2 m_mu)

# --- liquid argon (§3.1) ---
argon_Z = 18
argon_A_g_per_mol = 39.948
argon_Z_over_A = 0.45059
argon_density_g_per_cm3 = 1.396               # PDG, used for stopping powers
argon_mean_excitation_eV = 188.0              # ICRU-37, matches the range tables
argon_sternheimer = dict(a=0.1956, k=3.0, x0=0.2, x1=3.0, cbar=5.2146, delta0=0.0)
argon_radiation_length_cm = 14.0
argon_critical_energy_MeV = 32.84
argon_moliere_radius_cm = 9.0
argon_pair_conversion_length_cm = 18.0        # 9/7 X0
argon_w_ion_eV = 23.6                         # energy per electron-ion pair
argon_w_ion_MeV = argon_w_ion_eV * 1e-6
electrons_per_MeV = 1.0 / argon_w_ion_MeV     # 42,373 e-/MeV before recombination

# --- Bethe ---
bethe_K_MeV_cm2_per_mol = 0.307075            # 4 pi N_A r_e^2 m_e c^2

# --- recombination (§2.2) ---
modbox_alpha = 0.93
modbox_beta_kV_g_per_cm3_MeV = 0.212          # (kV/cm)(g/cm^2)/MeV
birks_A = 0.800
birks_k_kV_g_per_cm3_MeV = 0.0486
recombination_density_g_per_cm3 = 1.383      # ArgoNeuT measurement density

# --- hadronic toys (§3.10) ---
proton_interaction_length_cm = 95.0
pion_interaction_length_cm = 60.0
hadronic_threshold_MeV = 20.0

# --- electronics (§1.5) ---
electron_charge_fC = 1.602176634e-4
shaping_peak_factor = 1.17                    # t_peak = 1.17 * shaping time
shaping_power = 5                             # h(t) = (t/tp)^n exp(n (1 - t/tp))
collection_point_charge_peak_fraction = 0.87  # field response spreads the collection peak

# --- cosmic rays (§6) ---
cosmic_muon_flux_horizontal_per_m2_s = 167.0  # all momenta
cosmic_mu_plus_over_mu_minus = 1.268

# --- neutrinos ---
speed_of_light_cm_per_ns = 29.9792458
bnb_spill_us = 1.6


def deg(angle_deg: float) -> float:
    """Degrees to radians (wire angles are quoted in degrees)."""
    return math.radians(angle_deg)
