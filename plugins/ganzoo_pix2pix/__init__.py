"""pix2pix family (Isola et al. 2017) for ganzoo."""
