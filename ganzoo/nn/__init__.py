"""Network pieces several GAN families share; public, so third-party families may use them too.

* :mod:`ganzoo.nn.init` -- the weight initialisations of the reference implementations.
* :mod:`ganzoo.nn.dropout` -- dropout with a cheap mask on CPUs (same maths as ``F.dropout``).
* :mod:`ganzoo.nn.precision` -- a dense layer and a reflection pad that pick a faster precision under autocast.
* :mod:`ganzoo.nn.dcgan_blocks` -- the two DCGAN layouts the zoo builds on (the TensorFlow
  tutorial's 28x28 networks and the PyTorch example's 32x32/64x64 ones), as functions that
  return plain ``nn.Sequential`` stacks, so a family's state-dict keys stay the layer indices.

Nothing is imported here: ``import ganzoo.nn`` stays free.
"""
