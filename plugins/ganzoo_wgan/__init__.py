"""WGAN-GP family (Gulrajani et al. 2017) for ganzoo."""
