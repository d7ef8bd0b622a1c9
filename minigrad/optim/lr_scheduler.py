"""Learning-rate schedules. ``StepLR`` multiplies the learning rate by ``gamma`` every
``step_size`` epochs (call ``scheduler.step()`` once per epoch, after ``optimizer.step()``)."""
from __future__ import annotations

from minigrad.optim.optimizer import Optimizer


class StepLR:
    """``lr = initial_lr * gamma ** (epoch // step_size)``, applied as PyTorch does (multiplying)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        if step_size <= 0:
            raise ValueError(f"StepLR: step_size must be positive, got {step_size}")
        self.optimizer, self.step_size, self.gamma = optimizer, step_size, gamma
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def step(self) -> None:
        self.last_epoch += 1
        if self.last_epoch > 0 and self.last_epoch % self.step_size == 0:
            for group in self.optimizer.param_groups:
                group["lr"] = group["lr"] * self.gamma
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {"step_size": self.step_size, "gamma": self.gamma, "last_epoch": self.last_epoch,
                "base_lrs": list(self.base_lrs), "_last_lr": list(self._last_lr)}

    def load_state_dict(self, state_dict: dict) -> None:
        self.step_size, self.gamma = int(state_dict["step_size"]), float(state_dict["gamma"])
        self.last_epoch = int(state_dict["last_epoch"])
        self.base_lrs = [float(v) for v in state_dict["base_lrs"]]
        self._last_lr = [float(v) for v in state_dict["_last_lr"]]
