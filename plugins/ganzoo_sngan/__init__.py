"""The sngan plugin: ResNet GANs with spectral normalisation, unconditional and projection."""
