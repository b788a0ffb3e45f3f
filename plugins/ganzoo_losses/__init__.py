"""Built-in adversarial losses and regularisers (a plugin like any other)."""
