"""Ready-made models: LeNet-5, AlexNet, the book's SimpleConvNet and DeepConvNet, and
torchvision's ResNet-18/34 and VGG-11/VGG-11-BN/VGG-16 (same ``state_dict`` keys)."""
from minigrad.models.alexnet import AlexNet
from minigrad.models.deepconvnet import DeepConvNet
from minigrad.models.lenet import LeNet5
from minigrad.models.resnet import BasicBlock, ResNet, resnet18, resnet34
from minigrad.models.simpleconvnet import SimpleConvNet
from minigrad.models.vgg import VGG, vgg11, vgg11_bn, vgg16

MODELS = {
    "lenet5": LeNet5, "alexnet": AlexNet, "simpleconvnet": SimpleConvNet, "deepconvnet": DeepConvNet,
    "resnet18": resnet18, "resnet34": resnet34, "vgg11": vgg11, "vgg11_bn": vgg11_bn, "vgg16": vgg16,
}


def get_model(name: str, **kwargs):
    """A model by its command-line name (``lenet5``, ``alexnet``, ``simpleconvnet``, ``deepconvnet``,
    ``resnet18``, ``resnet34``, ``vgg11``, ``vgg11_bn``, ``vgg16``).

    >>> get_model("resnet18", num_classes=10).fc.out_features
    10
    """
    try:
        return MODELS[name.lower()](**kwargs)
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None


__all__ = ["AlexNet", "BasicBlock", "DeepConvNet", "LeNet5", "MODELS", "ResNet", "SimpleConvNet", "VGG",
           "get_model", "resnet18", "resnet34", "vgg11", "vgg11_bn", "vgg16"]
