"""Conditional GAN family (Mirza & Osindero 2014) for ganzoo."""
