"""DCGAN (Radford et al. 2015) as a built-in plugin."""
