"""Ready-made models: LeNet-5, AlexNet, the book's SimpleConvNet and DeepConvNet, and
torchvision's ResNet-18/34 and VGG-11/VGG-11-BN/VGG-16 (same ``state_dict`` keys). ``get_model``
and ``model_spec`` find them by name (see ``minigrad.models.registry``)."""
from minigrad.models.alexnet import AlexNet
from minigrad.models.deepconvnet import DeepConvNet
from minigrad.models.lenet import LeNet5
from minigrad.models.registry import MODELS, ModelSpec, get_model, model_spec
from minigrad.models.resnet import BasicBlock, ResNet, resnet18, resnet34
from minigrad.models.simpleconvnet import SimpleConvNet
from minigrad.models.vgg import VGG, vgg11, vgg11_bn, vgg16

__all__ = ["AlexNet", "BasicBlock", "DeepConvNet", "LeNet5", "MODELS", "ModelSpec", "ResNet", "SimpleConvNet", "VGG",
           "get_model", "model_spec", "resnet18", "resnet34", "vgg11", "vgg11_bn", "vgg16"]
