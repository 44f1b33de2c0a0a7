"""What a training run records per epoch, and a plot of it."""
from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy`` and ``lr``.

    Accuracies stay empty for a regression loss, the validation lists without validation data.
    """

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)

    def __len__(self):
        return len(self.train_loss)

    def plot(self, ax=None):
        """Loss curves, and accuracy curves when there are any, with matplotlib.

        ``ax``: None (a new figure with one or two panels), one Axes (accuracy, if any, goes on a
        twin axis at the right) or a pair of Axes (loss, accuracy). Returns the Axes drawn on.
        """
        import matplotlib.pyplot as plt

        has_accuracy = bool(self.train_accuracy)
        if ax is None:
            _, axes = plt.subplots(1, 2 if has_accuracy else 1, figsize=(10 if has_accuracy else 5, 3.5))
            axes = list(axes) if has_accuracy else [axes]
        elif hasattr(ax, "plot"):
            axes = [ax, ax.twinx()] if has_accuracy else [ax]
        else:
            axes = list(ax)
        epochs = range(1, len(self) + 1)
        loss_axes = axes[0]
        loss_axes.plot(epochs, self.train_loss, label="train loss")
        if self.val_loss:
            loss_axes.plot(epochs, self.val_loss, label="validation loss")
        loss_axes.set_xlabel("epoch")
        loss_axes.set_ylabel("loss")
        loss_axes.legend(loc="upper left")
        if has_accuracy and len(axes) > 1:
            accuracy_axes = axes[1]
            accuracy_axes.plot(epochs, self.train_accuracy, "--", label="train accuracy")
            if self.val_accuracy:
                accuracy_axes.plot(epochs, self.val_accuracy, "--", label="validation accuracy")
            accuracy_axes.set_xlabel("epoch")
            accuracy_axes.set_ylabel("accuracy")
            accuracy_axes.set_ylim(0.0, 1.0)
            accuracy_axes.legend(loc="lower right")
        return axes
