"""A chain of modules: forward in order, backward in reverse. torch twin: ``nn.Sequential``."""
from .modules import Module


class Sequential(Module):
    """``Sequential(Linear(2, 100), ReLU(), Linear(100, 3))``.

    ``parameters()`` and ``gradients()`` list every module's arrays, in order, so that
    ``optimizer.step(model.gradients())`` lines up with ``Optimizer(model.parameters())``.
    """

    def __init__(self, *modules):
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {index} is a {type(module).__name__}, not a module; "
                    "pass layer objects such as Linear(2, 3) or ReLU()."
                )
        self.modules = list(modules)

    def forward(self, x):
        for module in self.modules:
            x = module.forward(x)
        return x

    def backward(self, dout):
        for module in reversed(self.modules):
            dout = module.backward(dout)
        return dout

    def parameters(self):
        return [param for module in self.modules for param in module.parameters()]

    def gradients(self):
        return [grad for module in self.modules for grad in module.gradients()]

    def train(self, mode=True):
        self.training = bool(mode)
        for module in self.modules:
            module.train(mode)
        return self

    def __getitem__(self, index):
        return self.modules[index]

    def __len__(self):
        return len(self.modules)

    def __iter__(self):
        return iter(self.modules)

    def __repr__(self):
        inner = "".join(f"\n  ({i}): {module!r}" for i, module in enumerate(self.modules))
        return f"Sequential({inner}\n)"
