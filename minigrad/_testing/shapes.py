"""Shape cases: views and reshapes, cat and stack, where, indexing and gather."""
import numpy as np

from minigrad._testing.case import Case, distinct, fixed, function, mask, method, normal

SHAPE_OPS = [  # on a (2, 3, 4) input
    ("reshape", method("reshape", 4, 6), lambda x: x.reshape(4, 6)),
    ("reshape(-1, 3)", method("reshape", -1, 3), lambda x: x.reshape(-1, 3)),
    ("view", method("view", 24), lambda x: x.reshape(24)),
    ("transpose", method("transpose", 0, 2), lambda x: x.swapaxes(0, 2)),
    ("permute", method("permute", 2, 0, 1), lambda x: x.transpose(2, 0, 1)),
    ("flatten", method("flatten"), lambda x: x.reshape(-1)),
    ("flatten(1)", method("flatten", 1), lambda x: x.reshape(2, -1)),
    ("flatten(0, 1)", method("flatten", 0, 1), lambda x: x.reshape(6, 4)),
    ("unsqueeze", method("unsqueeze", 1), lambda x: x[:, None]),
    ("unsqueeze(-1)", method("unsqueeze", -1), lambda x: x[..., None]),
    ("squeeze", lambda lib, x: x.unsqueeze(0).unsqueeze(-1).squeeze(), lambda x: x),
    ("squeeze(dim)", lambda lib, x: x.unsqueeze(2).squeeze(2), lambda x: x),
    ("squeeze, nothing to squeeze", method("squeeze", 1), lambda x: x),
    ("expand", lambda lib, x: x[:, :1].expand(2, 5, 4), lambda x: np.broadcast_to(x[:, :1], (2, 5, 4))),
]

INDEXES = [  # on a (3, 4) input; `minigrad gradcheck` shows the first
    ("[[0, 0, 2], 1:]", np.s_[[0, 0, 2], 1:]),
    ("int", 1), ("slice", np.s_[1:]), ("step", np.s_[::2]), ("negative", -1),
    ("tuple", np.s_[0, 1:3]), ("ellipsis", np.s_[..., 1]), ("newaxis", np.s_[None, 0]),
    ("array", [2, 0]), ("repeated", [0, 0, 2, 0]), ("2d-array", np.s_[[0, 2, 2], [1, 1, 3]]),
    ("mixed", np.s_[[1, 1], 1:]), ("bool", np.array([True, False, True])),
]

CASES = [
    *(Case(f"getitem {name}", lambda lib, x, index=index: x[index], normal(3, 4),
           numpy=lambda x, index=index: x[index], selftest=number == 0)
      for number, (name, index) in enumerate(INDEXES)),
    *(Case(name, op, normal(2, 3, 4), numpy=ref) for name, op, ref in SHAPE_OPS),
    # PyTorch's .T is deprecated beyond two dimensions; it reverses them, as permute does
    Case("T", lambda lib, x: x.T, normal(2, 3, 4), numpy=lambda x: x.T, torch=lambda torch, x: x.permute(2, 1, 0)),
    Case("reshape, permute", lambda lib, a: a.permute(2, 0, 1).reshape(4, -1).T, normal(2, 3, 4),
         numpy=lambda a: a.transpose(2, 0, 1).reshape(4, -1).T, selftest=True),
    Case("cat, stack", lambda lib, a, b: lib.stack([lib.cat([a, b], 1), lib.cat([b, a], 1)]), normal(2, 3),
         normal(2, 3), numpy=lambda a, b: np.stack([np.concatenate([a, b], 1), np.concatenate([b, a], 1)]),
         selftest=True),
    Case("cat, three inputs", lambda lib, a, b, c: lib.cat([a, b, c], dim=1), normal(2, 3), normal(2, 1),
         normal(2, 2), numpy=lambda a, b, c: np.concatenate([a, b, c], 1)),
    Case("cat, dim -1", lambda lib, a, b: lib.cat([a, b], dim=-1), normal(2, 3), normal(2, 1),
         numpy=lambda a, b: np.concatenate([a, b], -1)),
    *(Case(f"stack, dim {dim}", lambda lib, x, y, dim=dim: lib.stack([x, y], dim), normal(2, 3), normal(2, 3),
           numpy=lambda x, y, dim=dim: np.stack([x, y], dim))
      for dim in (0, 1, 2, -1)),
    Case("where(a > 0, a, b)", lambda lib, a, b: lib.where(a > 0, a, b), distinct(3, 4), distinct(3, 4),
         numpy=lambda a, b: np.where(a > 0, a, b), selftest=True),
    Case("where(a > b, a, 2 * b)", lambda lib, a, b: lib.where(a > b, a, b * 2), distinct(3, 4), distinct(4),
         numpy=lambda a, b: np.where(a > b, a, b * 2)),
    Case("where(mask, a, b)", function("where"), mask(3, 4), normal(3, 4), normal(4), numpy=np.where),
    Case("where(mask, a, 0.0)", lambda lib, c, a: lib.where(c, a, 0.0), mask(3, 4), normal(3, 1),
         numpy=lambda c, a: np.where(c, a, 0.0)),
    Case("gather, dim 1", lambda lib, x, i: x.gather(1, i), normal(3, 4), fixed([[0, 2], [1, 1], [3, 0]]),
         numpy=lambda x, i: np.take_along_axis(x, i, 1)),
    Case("gather, dim 0", lambda lib, x, i: x.gather(0, i), normal(3, 4), fixed([[2, 0, 1, 1]]),
         numpy=lambda x, i: np.take_along_axis(x, i, 0)),
]
