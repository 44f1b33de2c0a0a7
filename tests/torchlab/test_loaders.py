import pytest
import torch
from torch.overrides import TorchFunctionMode

from course.torchlab import DeviceLoader, random_crop_flip


def numbered(count):
    """Images whose single pixel is their own index, so a batch says which examples it holds."""
    return torch.arange(count).view(count, 1, 1, 1).float(), torch.arange(count)


@pytest.mark.parametrize("count, batch_size, drop_last, batches",
                         [(100, 32, False, 4), (100, 32, True, 3), (96, 32, False, 3)])
def test_batch_count_and_every_example_once(count, batch_size, drop_last, batches):
    images, labels = numbered(count)
    loader = DeviceLoader(images, labels, batch_size, drop_last=drop_last, device="cpu", seed=0)
    assert len(loader) == batches
    for _ in range(2):
        seen = [(x.flatten().long(), y) for x, y in loader]
        assert len(seen) == batches
        assert all(len(y) == batch_size for _, y in seen[:-1])
        pixels = torch.cat([x for x, _ in seen])
        assert torch.equal(pixels, torch.cat([y for _, y in seen]))   # images stay with labels
        assert len(pixels) == (batches * batch_size if drop_last else count)
        assert len(set(pixels.tolist())) == len(pixels)                # nothing twice


def test_shuffle_repeats_with_a_seed_and_changes_between_epochs():
    images, labels = numbered(50)

    def orders(seed, epochs=2):
        loader = DeviceLoader(images, labels, 10, device="cpu", seed=seed)
        return [torch.cat([y for _, y in loader]).tolist() for _ in range(epochs)]

    first = orders(1)
    assert first == orders(1)
    assert first[0] != first[1]
    assert first != orders(2)
    unshuffled = DeviceLoader(images, labels, 10, shuffle=False, device="cpu")
    assert torch.cat([y for _, y in unshuffled]).tolist() == list(range(50))


def test_augment_runs_on_each_batch():
    images, labels = numbered(20)
    loader = DeviceLoader(images, labels, 8, augment=lambda batch: batch + 1000,
                          device="cpu", seed=0)
    for x, y in loader:
        assert torch.equal(x.flatten(), y.float() + 1000)
    assert torch.equal(loader.images.flatten(), torch.arange(20).float())  # data kept as it was


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="as many labels as images"):
        DeviceLoader(torch.zeros(10, 1, 2, 2), torch.zeros(9), 4, device="cpu")
    with pytest.raises(ValueError, match="batch_size"):
        DeviceLoader(torch.zeros(10, 1), torch.zeros(10), 0, device="cpu")
    with pytest.raises(ValueError, match="empty"):
        DeviceLoader(torch.zeros(0, 1), torch.zeros(0), 4, device="cpu")


def test_crop_flip_keeps_shape_and_dtype():
    images = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8)
    for mode in ("reflect", "zeros"):
        out = random_crop_flip(images, padding=4, mode=mode)
        assert out.shape == images.shape and out.dtype == torch.uint8
    floats = torch.rand(4, 1, 8, 8)
    assert random_crop_flip(floats, padding=2).dtype == torch.float32


def test_flip_only_mirrors_about_half_of_the_images():
    images = torch.rand(200, 2, 5, 7)
    out = random_crop_flip(images, padding=0, generator=torch.Generator().manual_seed(0))
    same = (out == images).flatten(1).all(1)
    mirrored = (out == images.flip(3)).flatten(1).all(1)
    assert bool((same | mirrored).all())
    assert 60 < int(mirrored.sum()) < 140
    assert torch.equal(random_crop_flip(images, padding=0, flip=False), images)


@pytest.mark.parametrize("mode, torch_mode", [("reflect", "reflect"), ("zeros", "constant")])
def test_every_crop_is_a_window_of_the_padded_image(mode, torch_mode):
    padding = 3
    images = torch.rand(64, 2, 9, 9)
    out = random_crop_flip(images, padding=padding, flip=False, mode=mode,
                           generator=torch.Generator().manual_seed(1))
    padded = torch.nn.functional.pad(images, (padding,) * 4, mode=torch_mode)
    offsets = set()
    for image, crop in zip(padded, out):
        found = [(dy, dx) for dy in range(2 * padding + 1) for dx in range(2 * padding + 1)
                 if torch.equal(image[:, dy:dy + 9, dx:dx + 9], crop)]
        assert found, "a crop that is no window of the padded image"
        offsets.add(found[0])
    assert len(offsets) > 15      # the images were shifted by many different amounts


def test_crop_flip_is_vectorized():
    """The number of torch operations does not grow with the number of images."""
    class Count(TorchFunctionMode):
        calls = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            Count.calls += 1
            return func(*args, **(kwargs or {}))

    def operations(count):
        Count.calls = 0
        with Count():
            random_crop_flip(torch.rand(count, 3, 8, 8), padding=2)
        return Count.calls

    assert 5 < operations(4) == operations(256)


def test_crop_flip_bad_inputs():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        random_crop_flip(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="smaller than the image"):
        random_crop_flip(torch.zeros(2, 1, 4, 4), padding=4)
    with pytest.raises(ValueError, match="mode"):
        random_crop_flip(torch.zeros(2, 1, 4, 4), padding=1, mode="wrap")
