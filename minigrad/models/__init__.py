"""Ready-made models: LeNet-5, AlexNet and the book's SimpleConvNet."""
from minigrad.models.alexnet import AlexNet
from minigrad.models.lenet import LeNet5
from minigrad.models.simpleconvnet import SimpleConvNet

MODELS = {"lenet5": LeNet5, "alexnet": AlexNet, "simpleconvnet": SimpleConvNet}


def get_model(name: str, **kwargs):
    """A model by its command-line name (``lenet5``, ``alexnet``, ``simpleconvnet``)."""
    try:
        return MODELS[name.lower()](**kwargs)
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None


__all__ = ["AlexNet", "LeNet5", "MODELS", "SimpleConvNet", "get_model"]
