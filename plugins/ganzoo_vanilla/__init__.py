"""The vanilla GAN of Goodfellow et al. (2014), as a built-in plugin."""
