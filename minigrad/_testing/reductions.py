"""Reduction cases: sum, mean, var, std, amax, amin over any dims, max and min with their indices."""
import numpy as np

from minigrad._testing.case import Case, distinct, method, normal

DIMS = [None, 0, 1, -1, (0, 2), (-1, 0)]
NUMPY = {  # name -> reference(array, axis, keepdims)
    "sum": lambda a, axis, keep: a.sum(axis=axis, keepdims=keep),
    "mean": lambda a, axis, keep: a.mean(axis=axis, keepdims=keep),
    "var": lambda a, axis, keep: a.var(axis=axis, keepdims=keep, ddof=1),
    "std": lambda a, axis, keep: a.std(axis=axis, keepdims=keep, ddof=1),
    "amax": lambda a, axis, keep: a.max(axis=axis, keepdims=keep),
    "amin": lambda a, axis, keep: a.min(axis=axis, keepdims=keep),
}


def _reduction(name, dim, keepdim):
    return Case(f"{name} dim={dim} keepdim={keepdim}", method(name, dim, keepdim=keepdim), normal(2, 3, 4),
                numpy=lambda a: NUMPY[name](a, dim, keepdim), selftest=(name, dim, keepdim) == ("var", 1, False))


def _values_indices(which, dim, keepdim):
    """numpy's max or min along ``dim`` and its arg, as ``x.max(dim, keepdim)`` returns them."""
    reduce, pick = (np.max, np.argmax) if which == "max" else (np.min, np.argmin)

    def reference(a):
        indices = pick(a, axis=dim)
        return reduce(a, axis=dim, keepdims=keepdim), np.expand_dims(indices, dim) if keepdim else indices

    return reference


CASES = [
    Case("sum, mean (dims)", lambda lib, a: a.sum((0, 2)) + a.mean(1, keepdim=True).sum(), normal(2, 3, 4),
         numpy=lambda a: a.sum((0, 2)) + a.mean(1, keepdims=True).sum(), selftest=True),
    *(_reduction(name, dim, keepdim) for name in NUMPY for dim in DIMS for keepdim in (False, True)),
    Case("var(unbiased=False)", method("var", 1, unbiased=False), normal(4, 5), numpy=lambda a: a.var(1)),
    Case("var(correction=2)", method("var", 0, correction=2), normal(4, 5), numpy=lambda a: a.var(0, ddof=2)),
    Case("max(dim), amax", lambda lib, a: a.max(1).values + a.amax(0).sum(), distinct(3, 4),
         numpy=lambda a: a.max(1) + a.max(0).sum(), selftest=True),
    *(Case(f"{which}(dim={dim}, keepdim={keepdim})", method(which, dim, keepdim), distinct(3, 4),
           numpy=_values_indices(which, dim, keepdim))
      for which in ("max", "min") for dim in (0, 1, -1) for keepdim in (False, True)),
    Case("max()", method("max"), distinct(3, 5), numpy=np.max),
    # PyTorch's max takes one dim; several are minigrad's own (flat indices over the reduced dims)
    *(Case(f"max(dims={dims}, keepdim={keepdim}).values", lambda lib, x, dims=dims, keep=keepdim: x.max(dims, keep)[0],
           distinct(3, 4, 5), numpy=lambda a, dims=dims, keep=keepdim: a.max(axis=dims, keepdims=keep), torch=False)
      for dims in ((0, 2), (2, 0), (-1, 1), (0, 1, 2)) for keepdim in (False, True)),
]
