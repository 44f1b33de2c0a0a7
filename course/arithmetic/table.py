"""``architecture_table(specs, input_shape)``: a network's arithmetic, layer by layer.

For each layer: output shape, parameters, multiply-adds and receptive field, printable as a text
table (``print(table)``) or as Markdown (``table.to_markdown()``, also what Jupyter shows).
"""
from dataclasses import dataclass

from .receptive_field import receptive_field
from .specs import layer_shapes

_HEADERS = ("#", "layer", "output shape", "parameters", "multiply-adds", "receptive field")
_RIGHT_ALIGNED = (True, False, False, True, True, True)


@dataclass(frozen=True)
class LayerRow:
    """One layer of the table. ``receptive_field`` is in input pixels along one axis, or None
    when every output sees the whole input (from the first fully connected layer on)."""
    index: int
    layer: str
    output_shape: tuple
    parameters: int
    multiply_adds: int
    receptive_field: object


def _receptive_fields(specs, input_shape):
    """Receptive field after each layer: the windows up to the first global layer, then None."""
    if len(input_shape) != 3:
        return [None] * len(specs)
    windows = []
    for spec in specs:
        if spec.window is None:
            break
        windows.append(spec.window)
    fields = receptive_field(windows)
    return fields + [None] * (len(specs) - len(fields))


def _shape_text(shape):
    return "x".join(str(n) for n in shape)


class ArchitectureTable:
    """The rows of :func:`architecture_table` with totals; iterate over it or index it like a list."""

    def __init__(self, rows, input_shape):
        self.rows = list(rows)
        self.input_shape = tuple(input_shape)

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    @property
    def total_parameters(self):
        return sum(row.parameters for row in self.rows)

    @property
    def total_multiply_adds(self):
        return sum(row.multiply_adds for row in self.rows)

    @property
    def output_shape(self):
        return self.rows[-1].output_shape if self.rows else self.input_shape

    def _cells(self):
        """Header, input line, one line per layer, total line; every cell a string."""
        lines = [_HEADERS, ("", "input", _shape_text(self.input_shape), "", "", "")]
        for row in self.rows:
            field = "whole input" if row.receptive_field is None else str(row.receptive_field)
            lines.append((str(row.index), row.layer, _shape_text(row.output_shape),
                          f"{row.parameters:,}", f"{row.multiply_adds:,}", field))
        lines.append(("", "total", "", f"{self.total_parameters:,}", f"{self.total_multiply_adds:,}", ""))
        return lines

    def to_text(self):
        lines = self._cells()
        widths = [max(len(line[column]) for line in lines) for column in range(len(_HEADERS))]

        def render(line):
            cells = [cell.rjust(width) if right else cell.ljust(width)
                     for cell, width, right in zip(line, widths, _RIGHT_ALIGNED)]
            return "  ".join(cells).rstrip()

        rule = "  ".join("-" * width for width in widths)
        body = [render(line) for line in lines]
        return "\n".join([body[0], rule, *body[1:-1], rule, body[-1]])

    def to_markdown(self):
        lines = self._cells()
        align = ["---:" if right else ":---" for right in _RIGHT_ALIGNED]
        rows = [lines[0], align, *lines[1:]]
        return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return f"<ArchitectureTable: {len(self.rows)} layers, {self.total_parameters:,} parameters>"

    def _repr_markdown_(self):  # Jupyter shows the Markdown table
        return self.to_markdown()


def architecture_table(specs, input_shape):
    """Output shape, parameters, multiply-adds and receptive field of each layer of ``specs`` on an
    input of shape ``input_shape`` ((C, H, W) of one example, no batch axis)."""
    specs = list(specs)
    shapes = layer_shapes(specs, input_shape)
    fields = _receptive_fields(specs, shapes[0])
    rows = [
        LayerRow(index, spec.describe(), shapes[index + 1], spec.parameters(shapes[index]),
                 spec.multiply_adds(shapes[index]), fields[index])
        for index, spec in enumerate(specs)
    ]
    return ArchitectureTable(rows, shapes[0])
