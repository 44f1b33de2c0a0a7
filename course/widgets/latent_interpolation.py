"""Walking through a generator's latent space: the images along the path between two latent
vectors, and a slider that picks one point on it.

    LatentInterpolator(decode, z_start, z_end, sample_latent=sample)

``decode(z) -> images`` turns a NumPy array of latent vectors ``(k, latent_dim)`` into images
``(k, H, W)`` or ``(k, 1, H, W)`` (a trained generator wrapped by the notebook);
``sample_latent(seed) -> z`` draws a new latent vector for the "new endpoints" button. Neither
needs torch here, so the widget is tested headless with stand-ins. ``LatentInterpolation`` holds
the state. Linear interpolation ``(1 - t) a + t b`` passes close to the origin when a and b point
in different directions, where a Gaussian prior has almost no samples in high dimension;
spherical interpolation (slerp, White 2016) keeps the norm, and so stays where training samples lie.
"""
import numpy as np
import ipywidgets as widgets

from .figure_view import FigureView

METHODS = ("linear", "spherical")


def interpolate(z_start, z_end, t, method="linear"):
    """The point at ``t`` (a number or an array of them in [0, 1]) between two latent vectors:
    ``(1 - t) a + t b``, or slerp ``sin((1 - t) w) / sin w * a + sin(t w) / sin w * b`` with w the
    angle between a and b (linear where they are almost parallel). Returns ``(len(t), latent_dim)``."""
    a, b = np.asarray(z_start, dtype=np.float64).ravel(), np.asarray(z_end, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"interpolate: the two latent vectors have sizes {a.size} and {b.size}.")
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))[:, None]
    if method == "linear":
        return (1 - t) * a + t * b
    if method != "spherical":
        raise ValueError(f"interpolate: method must be one of {METHODS}, got {method!r}.")
    cosine = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


class LatentInterpolation:
    """The state: two endpoints, the method, the number of steps, the position ``t`` and the images."""

    def __init__(self, decode, z_start, z_end, steps=9, method="linear", t=0.5, sample_latent=None):
        if not callable(decode):
            raise ValueError("LatentInterpolation needs decode(z) -> images.")
        self.decode, self.sample_latent = decode, sample_latent
        self.z_start = np.asarray(z_start, dtype=np.float64).ravel()
        self.z_end = np.asarray(z_end, dtype=np.float64).ravel()
        self.steps, self._method, self._t = int(steps), method, float(t)
        self.endpoint_seed = 0
        self.update()

    def _set(self, attribute, value):
        setattr(self, attribute, value)
        self.update()

    method = property(lambda self: self._method, lambda self, v: self._set("_method", str(v)))
    t = property(lambda self: self._t, lambda self, v: self._set("_t", float(v)))

    def _images(self, z):
        images = np.asarray(self.decode(z), dtype=np.float64)
        if images.ndim == 4 and images.shape[1] == 1:
            images = images[:, 0]
        if images.ndim != 3 or len(images) != len(z):
            raise ValueError(f"decode should return {len(z)} images (k, H, W) or (k, 1, H, W), got shape {images.shape}.")
        return images

    def update(self):
        if not 0.0 <= self._t <= 1.0:
            raise ValueError(f"LatentInterpolation: t must be in [0, 1], got {self._t}.")
        self.times = np.linspace(0.0, 1.0, self.steps)
        self.path = interpolate(self.z_start, self.z_end, self.times, self._method)
        self.strip = self._images(self.path)
        self.z = interpolate(self.z_start, self.z_end, self._t, self._method)[0]
        self.image = self._images(self.z[None])[0]
        self.norms = np.linalg.norm(self.path, axis=1)

    def new_endpoints(self):
        """Draw two new endpoints with ``sample_latent`` (seeds go on counting up)."""
        if self.sample_latent is None:
            raise ValueError("LatentInterpolation: new endpoints need sample_latent(seed) -> z.")
        self.endpoint_seed += 2
        self.z_start = np.asarray(self.sample_latent(self.endpoint_seed), dtype=np.float64).ravel()
        self.z_end = np.asarray(self.sample_latent(self.endpoint_seed + 1), dtype=np.float64).ravel()
        self.update()


class LatentInterpolator:
    """The widget: a slider for t, the method, and "new endpoints" on top; the strip of images
    along the path, with the picked point enlarged beside it, below."""

    def __init__(self, decode, z_start, z_end, sample_latent=None, steps=9, method="linear", t=0.5, cmap="gray"):
        self.state = LatentInterpolation(decode, z_start, z_end, steps, method, t, sample_latent)
        self.cmap = cmap
        style = {"description_width": "60px"}
        self.t = widgets.FloatSlider(value=t, min=0.0, max=1.0, step=0.05, description="t",
                                     continuous_update=False, style=style)
        self.method = widgets.Dropdown(options=list(METHODS), value=method, description="path", style=style)
        self.new = widgets.Button(description="new endpoints", disabled=sample_latent is None)
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(10, 2.4))
        self.t.observe(lambda change: self._on_change("t", change["new"]), names="value")
        self.method.observe(lambda change: self._on_change("method", change["new"]), names="value")
        self.new.on_click(lambda _: self._new_endpoints())
        self.widget = widgets.VBox([widgets.HBox([self.t, self.method, self.new]), self.status, self.view.image])
        self.redraw()

    def _on_change(self, name, value):
        setattr(self.state, name, value)
        self.redraw()

    def _new_endpoints(self):
        self.state.new_endpoints()
        self.redraw()

    def redraw(self):
        state, figure = self.state, self.view.figure
        figure.clear()
        grid = figure.add_gridspec(1, state.steps + 2)
        low, high = float(min(state.strip.min(), state.image.min())), float(max(state.strip.max(), state.image.max()))
        for index, (time, picture) in enumerate(zip(state.times, state.strip)):
            ax = figure.add_subplot(grid[0, index])
            ax.imshow(picture, cmap=self.cmap, vmin=low, vmax=high)
            ax.set_title(f"{time:.2f}", fontsize=8)
            ax.axis("off")
        big = figure.add_subplot(grid[0, state.steps:])
        big.imshow(state.image, cmap=self.cmap, vmin=low, vmax=high)
        big.set_title(f"t = {state.t:.2f} ({state.method})", fontsize=9)
        big.axis("off")
        self.view.axes = big
        self.view.refresh()
        self.status.value = (f"norm of z along the path: from {state.norms.min():.2f} to {state.norms.max():.2f} "
                             f"(endpoints {np.linalg.norm(state.z_start):.2f} and {np.linalg.norm(state.z_end):.2f})")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
