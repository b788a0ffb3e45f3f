"""Built-in datasets: Fashion-MNIST, MNIST, CIFAR-10, image folders and fake data."""
