"""Neural style transfer (Gatys et al. 2016) for ganzoo."""
