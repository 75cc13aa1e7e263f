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

# --- unit conversions (SI prefixes) ---
MeV_per_GeV = 1000.0                          # larcv3 particle tables store GeV, argonet MeV

# --- neutrino-nucleon scattering (§5.3-§5.5) ---
fermi_constant_per_GeV2 = 1.1663787e-5        # G_F, PDG
cos_cabibbo = 0.9743                          # |V_ud|, PDG
hbarc_squared_cm2_GeV2 = 0.389379e-27         # (hbar c)^2, PDG
nucleon_axial_coupling = 1.267                # g_A of the §5.3 Llewellyn-Smith numbers (PDG 2024: 1.2754)
nucleon_axial_mass_GeV = 1.0                  # M_A, §5.3
nucleon_vector_mass_squared_GeV2 = 0.71       # dipole vector form factor, 1/(1 + Q^2/0.71)^2
nucleon_anomalous_moment_difference = 3.706   # mu_p - mu_n - 1 (weak magnetism), PDG moments
delta_1232_mass_MeV = 1232.0                  # Delta(1232) Breit-Wigner, §5.4
delta_1232_width_MeV = 117.0                  # §5.4
argon_fermi_momentum_MeV = 250.0              # k_F of the relativistic Fermi gas, §5.5 (typical RFG)
argon_removal_energy_MeV = 30.0               # nucleon removal energy, §5.4-§5.5
argon_neutron_fraction = 22.0 / 40.0          # N / A of 40Ar, §5.2 isospin bookkeeping

# --- cosmic-ray muon spectrum at sea level (Guan et al., arXiv:1509.06176 [S35]) ---
guan_norm_per_cm2_s_sr_GeV = 0.14             # Gaisser normalisation
guan_spectral_index = 2.7
guan_low_energy_GeV = 3.64                    # low-energy modification (1 + 3.64 GeV / (E cos^1.29))
guan_low_energy_cos_power = 1.29
guan_pion_critical_GeV = 115.0 / 1.1          # Gaisser pion term 1 / (1 + 1.1 E cos / 115 GeV)
guan_kaon_critical_GeV = 850.0 / 1.1          # Gaisser kaon term 0.054 / (1 + 1.1 E cos / 850 GeV)
guan_kaon_weight = 0.054

# --- particle transport (lartpc-physics.md §3-§4) ---
avogadro_per_mol = 6.02214076e23              # CODATA (exact)
classical_electron_radius_cm = 2.8179403262e-13  # CODATA 2018, Klein-Nishina cross section
hbarc_MeV_fm = 197.3269804                    # PDG, diffraction angle of hadron-nucleus elastic scattering
nuclear_radius_r0_fm = 1.2                    # R = r0 A^(1/3), textbook nuclear radius
proton_reference_ke_MeV = 5.0                 # §3.2: start proton range integration here ...
proton_reference_range_g_per_cm2 = 0.0572     # ... from the NIST PSTAR residual range R(5 MeV)
highland_constant_MeV = 13.6                  # §3.7, PDG Highland formula
highland_log_coefficient = 0.038              # §3.7
landau_mpv_constant = 0.2                     # §3.5, PDG most-probable-loss formula
landau_mode_lambda = -0.22278                 # mode of the universal Landau density phi(lambda), PDG
pi0_two_photon_fraction = 0.988               # §3.9, PDG: gamma gamma 98.8 %, Dalitz 1.2 %
kaon_charged_lifetime_ns = 12.38              # PDG
kaon_mu_nu_fraction = 0.6356                  # PDG K+ -> mu+ nu; the rest treated as pi+ pi0 (20.7 %)
# total photon attenuation length in LAr vs energy, §4 (XCOM-like, +-10 %); 18 cm = 9/7 X0 reached at 1 GeV
photon_attenuation_nodes_MeV_cm = ((1.0, 12.0), (5.0, 26.5), (10.0, 26.5), (100.0, 20.0), (1000.0, 18.0))
low_energy_deposit_MeV = 1.0                  # isolated Compton blips below this are labelled LOW_ENERGY
pion_absorption_fraction = 0.4                # §3.10 toy split of pi-Ar interactions: absorption ...
pion_quasielastic_fraction = 0.4              # ... quasi-elastic scatter + knocked-out proton ...
pion_charge_exchange_fraction = 0.1           # ... charge exchange; the remaining 10 % elastic
proton_inelastic_keep_min = 0.4               # §5.5 toy rescatter: the proton keeps 40-80 % of its KE,
proton_inelastic_keep_max = 0.8               # is turned by up to 60 deg, a second nucleon takes the rest
proton_inelastic_max_angle_deg = 60.0
capture_gamma_mean_MeV = 2.0                  # §3.9 mu- capture / pi- absorption: a few MeV gamma blips (toy)
capture_gamma_max_count = 3
star_proton_ke_mean_MeV = 15.0                # §3.9 pi- absorption star: 0-3 protons of few-tens MeV (toy)
star_proton_max_count = 3

# --- detector response (lartpc-physics.md §1.5, §2.2) ---
recombination_min_dEdx_MeV_per_cm = 1.0       # LArSoft ISCalcSeparate: dE/dx floored at 1 MeV/cm (guards xi -> 0)
mip_dEdx_MeV_per_cm = 2.105                   # §3.1 minimum ionisation; taken for point deposits (step length 0)
coherent_noise_group_wires = 32               # wires sharing one coherent-noise waveform (ResponseConfig)
# §1.5 field (x) electronics response per unit point charge, normalised to the collection peak,
# t = 0 at the collection peak; garfield-sbnd-v1 convolved with the 2 us cold-electronics response.
field_response_t_us = (-8.0, -6.0, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5,
                       0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
field_response_rows = {
    ("U", 0): (0.05, 0.12, 0.22, 0.28, 0.27, 0.14, -0.06, -0.24, -0.35, -0.36, -0.32, -0.24,
               -0.16, -0.10, -0.06, -0.03, -0.02, -0.01, 0.00, 0.00),
    ("U", 1): (0.03, 0.05, 0.04, 0.02, 0.00, -0.03, -0.06, -0.09, -0.11, -0.12, -0.11, -0.09,
               -0.07, -0.05, -0.03, -0.02, -0.01, 0.00, 0.00, 0.00),
    ("V", 0): (0.01, 0.02, 0.03, 0.04, 0.08, 0.16, 0.26, 0.30, 0.24, 0.08, -0.11, -0.24,
               -0.29, -0.26, -0.20, -0.13, -0.08, -0.04, -0.02, 0.00),
    ("V", 1): (0.01, 0.01, 0.01, 0.02, 0.03, 0.06, 0.08, 0.09, 0.07, 0.03, -0.03, -0.09,
               -0.11, -0.10, -0.08, -0.06, -0.04, -0.02, -0.01, 0.00),
    ("Y", 0): (0.00, 0.00, 0.00, 0.01, 0.01, 0.02, 0.05, 0.10, 0.19, 0.35, 0.62, 0.88,
               1.00, 0.93, 0.72, 0.48, 0.27, 0.13, 0.05, 0.00),
    ("Y", 1): (0.00, 0.00, 0.00, 0.00, 0.01, 0.02, 0.03, 0.05, 0.08, 0.11, 0.08, 0.02,
               -0.04, -0.08, -0.09, -0.08, -0.06, -0.04, -0.03, -0.01),
}
field_response_gap_us = 0.3 / 0.1563          # §1.5 table geometry: 3 mm plane gaps drifted at 0.1563 cm/us (SBND)

# --- collider jets (PDG 2024 averages), GeV: the jet-mass peaks of W, Z and top jets ---
w_boson_mass_GeV = 80.3692
z_boson_mass_GeV = 91.1880
top_quark_mass_GeV = 172.57
