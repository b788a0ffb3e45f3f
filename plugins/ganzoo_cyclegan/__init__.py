"""CycleGAN family (Zhu et al. 2017) for ganzoo."""
