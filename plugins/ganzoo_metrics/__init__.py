"""Built-in evaluation metrics (FID, KID, IS, precision/recall ...) and their feature extractors."""
