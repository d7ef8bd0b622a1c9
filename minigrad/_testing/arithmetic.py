"""Arithmetic cases: binary operators with broadcasting, Python scalars, matmul, elementwise
functions."""
import numpy as np

from minigrad._testing.case import Case, distinct, function, method, nonzero, normal, positive

BROADCAST_SHAPES = [((3, 4), (4,)), ((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5, 1), (1, 5))]
BINARY = [  # name, op, numpy reference, input kind, the shapes that `minigrad gradcheck` shows
    ("add", lambda lib, a, b: a + b, np.add, positive, ((3, 4), (4,))),
    ("sub", lambda lib, a, b: a - b, np.subtract, positive, None),
    ("mul", lambda lib, a, b: a * b, np.multiply, positive, ((5, 1), (1, 5))),
    ("div", lambda lib, a, b: a / b, np.divide, positive, ((3, 4), (3, 4))),
    ("pow", lambda lib, a, b: a ** b, np.power, positive, ((3, 4), (3, 4))),
    ("maximum", function("maximum"), np.maximum, distinct, None),
    ("minimum", function("minimum"), np.minimum, distinct, None),
]

SCALARS = [  # on a positive (3, 2) input
    ("a + 2.5", lambda lib, a: a + 2.5, lambda a: a + 2.5),
    ("2.5 - a", lambda lib, a: 2.5 - a, lambda a: 2.5 - a),
    ("a * -3", lambda lib, a: a * -3, lambda a: a * -3),
    ("1 / a", lambda lib, a: 1 / a, lambda a: 1 / a),
    ("a ** 3", lambda lib, a: a ** 3, lambda a: a ** 3),
    ("a ** 3.5", lambda lib, a: a ** 3.5, lambda a: a ** 3.5),
    ("a ** 0.5", lambda lib, a: a ** 0.5, np.sqrt),
    ("a ** 0", lambda lib, a: a ** 0, lambda a: a ** 0),
    ("2 ** a", lambda lib, a: 2 ** a, lambda a: 2 ** a),
    ("-a", lambda lib, a: -a, np.negative),
]

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (4, 3, 2)), ((2, 3, 4), (4, 5)), ((4,), (2, 4, 3)),
]


def off_kinks(*shape):
    """Nonzero values (relu, abs), none near the bounds of the clamps below."""
    return nonzero(*shape, avoid=(-0.5, 0.1, 0.7))


UNARY_SHAPES = [(2, 3, 2), (), (5,)]  # the first is the one `minigrad gradcheck` shows
UNARY = [  # name, op, numpy reference, input kind, shown by `minigrad gradcheck`
    ("exp", function("exp"), np.exp, normal, True),
    ("log", function("log"), np.log, positive, True),
    ("sqrt", function("sqrt"), np.sqrt, positive, True),
    ("abs", function("abs"), np.abs, off_kinks, True),
    ("tanh", function("tanh"), np.tanh, normal, True),
    ("sigmoid", function("sigmoid"), lambda x: 1 / (1 + np.exp(-x)), normal, True),
    ("relu", function("relu"), lambda x: np.maximum(x, 0), off_kinks, True),
    ("clamp(-0.5, 0.7)", method("clamp", -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), off_kinks, False),
    ("clamp(min=0.1)", method("clamp", min=0.1), lambda x: np.maximum(x, 0.1), off_kinks, False),
    ("clamp(max=0.1)", method("clamp", max=0.1), lambda x: np.minimum(x, 0.1), off_kinks, False),
]

CASES = [
    *(Case(f"{name} {a}, {b}", op, kind(*a), kind(*b), numpy=ref, selftest=(a, b) == shown)
      for name, op, ref, kind, shown in BINARY for a, b in BROADCAST_SHAPES),
    Case("add (3, 1, 4), (2, 4)", lambda lib, a, b: a + b, normal(3, 1, 4), normal(2, 4), numpy=np.add),
    Case("div, numerators of both signs", lambda lib, a, b: a / b, normal(3, 4), positive(3, 1), numpy=np.divide),
    Case("pow, exponents of both signs", lambda lib, a, b: a ** b, positive(3, 4), normal(3, 4), numpy=np.power),
    *(Case(f"matmul {a}, {b}", lambda lib, a, b: a @ b, normal(*a), normal(*b), numpy=np.matmul,
           selftest=(a, b) == ((2, 3, 4), (4, 5)))
      for a, b in MATMUL_SHAPES),
    Case("neg, sub", lambda lib, a, b: -a - b, normal(2, 3), normal(2, 3), numpy=lambda a, b: -a - b, selftest=True),
    *(Case(f"{name} {shape}", op, kind(*shape), numpy=ref, selftest=shown and shape == UNARY_SHAPES[0])
      for name, op, ref, kind, shown in UNARY for shape in UNARY_SHAPES),
    Case("clamp(-0.3, 0.4)", method("clamp", -0.3, 0.4), distinct(3, 4), numpy=lambda x: np.clip(x, -0.3, 0.4),
         selftest=True),
    *(Case(name, op, positive(3, 2), numpy=ref) for name, op, ref in SCALARS),
    Case("exp, log, sqrt", lambda lib, a: a.exp().log() * a.sqrt(), positive(4), numpy=lambda a: a * np.sqrt(a)),
    Case("tanh, sigmoid", lambda lib, a: a.tanh() * a.sigmoid(), normal(6),
         numpy=lambda a: np.tanh(a) / (1 + np.exp(-a))),
    Case("abs, relu", lambda lib, a: a.abs() + a.relu(), off_kinks(6), numpy=lambda a: np.abs(a) + np.maximum(a, 0)),
]
