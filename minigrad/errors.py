"""Exception types. Each subclasses the built-in exceptions PyTorch and Python users expect, so
``except RuntimeError`` and ``except ValueError`` both work where PyTorch raises RuntimeError."""


class DtypeError(TypeError, RuntimeError):
    """An operation got a tensor of the wrong dtype (e.g. requires_grad on an integer tensor)."""


class ShapeError(ValueError, RuntimeError):
    """An operation got arguments whose shapes or sizes do not fit together."""


class TargetError(ValueError, IndexError):
    """A loss got class labels outside ``[0, num_classes)``."""


class CheckpointError(ValueError):
    """A file is not a readable minigrad checkpoint, or an object cannot be saved."""
