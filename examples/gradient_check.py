"""Check minigrad's gradients against central differences: a few ops by hand, then the
built-in self-test (the same table as `minigrad gradcheck`).

    python examples/gradient_check.py [--quick]
"""
import argparse

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import selftest

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()

mg.manual_seed(0)
x = mg.randn(2, 3, 7, 7, dtype=mg.float64, requires_grad=True)
w = mg.randn(4, 3, 3, 3, dtype=mg.float64, requires_grad=True)
print("conv2d, stride 2, padding 1:", mg.gradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1), (x, w)))
print("  ...second order:", mg.gradgradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1), (x, w)))

# a kink: relu at exactly 0 has no derivative; gradcheck says so instead of a bare mismatch
at_kink = mg.tensor([0.0, 1.0], dtype=mg.float64, requires_grad=True)
try:
    mg.gradcheck(F.relu, (at_kink,))
except mg.GradcheckError as error:
    print("\nexpected failure at a kink:\n" + str(error))

print()
selftest.run(quick=args.quick)
