"""The Smiley dataset of the UAI VSC paper, regenerated with NumPy from its specification.

Every image is 32 x 32 and binary: a filled face disc of radius 10 that is always present, and
four attribute groups, each present independently with probability ``presence`` (0.5):

========  =====  ==========================================================================
group     count  continuous factors (v = 0.5 N(0, 1), then scaled; sd in pixels)
========  =====  ==========================================================================
eyes      3      half-separation 4 + v (0.5), shared vertical offset (0.5), radius 2 + v (0.5)
mouth     5      width 4 + v (0.5), height 2 + v (0.5), centre x and y (0.25 each),
                 expression: the corners move vertically by e and 1.4 e (0.5)
hat       6      brim centre x, y (0.5 each), brim width 15 + 3v (1.5), brim height 2 + 2v (1),
                 crown width 10 + 2v (1), crown height 2 + v (0.5)
bow tie   4      centre x (0.25), centre y (0.5), width 12 + 3v (1.5), height 5 + 2v (1)
========  =====  ==========================================================================

Eyes and mouth are holes cut into the face; hat and bow tie are drawn outside it. The ground
truth is the (N, 18) source matrix S * V: the group's presence flag (repeated over its factors)
times the factor values v, so absent groups contribute exact zeros. The layout follows the
authors' MATLAB generator as summarised in the project notes; pixel-level details (rounding,
the bow-tie bitmap) are ours.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paths import data_dir, write_atomic

SIDE = 32
GROUPS: dict[str, tuple[str, ...]] = {
    "eyes": ("eye separation", "eye height", "eye radius"),
    "mouth": ("mouth width", "mouth height", "mouth x", "mouth y", "expression"),
    "hat": ("hat x", "hat y", "brim width", "brim height", "crown width", "crown height"),
    "bow tie": ("tie x", "tie y", "tie width", "tie height"),
}
FACTORS: tuple[str, ...] = tuple(name for names in GROUPS.values() for name in names)
#: pixels per unit of v for each factor, in FACTORS order (v itself has sd 0.5)
_SCALE = np.array([1, 1, 1, 1, 1, 0.5, 0.5, 1, 1, 1, 3, 2, 2, 1, 0.5, 1, 3, 2], dtype=np.float64)
GROUP_OF_FACTOR = np.repeat(np.arange(len(GROUPS)), [len(v) for v in GROUPS.values()])
FACE_CENTRE, FACE_RADIUS = (15.5, 16.5), 10.0


@dataclass(frozen=True)
class Smiley:
    """A generated Smiley split.

    Attributes:
        images: (N, 1, 32, 32) float32 in {0, 1}.
        present: (N, 4) bool, which attribute groups each image has (eyes, mouth, hat, bow tie).
        values: (N, 18) the factor values v (drawn for every image, used only where present).
        sources: (N, 18) the ground truth S * V.
    """

    images: np.ndarray
    present: np.ndarray
    values: np.ndarray
    sources: np.ndarray

    @property
    def combination(self) -> np.ndarray:
        """(N,) integer 0..15 coding which groups are present (bit g for group g)."""
        return (self.present * (1 << np.arange(len(GROUPS)))).sum(1)


def generate(num: int, seed: int, presence: float = 0.5, batch: int = 5000) -> Smiley:
    """``num`` Smiley images drawn with ``numpy.random.default_rng(seed)``.

    Raises:
        ValueError: for a non-positive ``num`` or a ``presence`` outside (0, 1).
    """
    if not isinstance(num, int) or num < 1:
        raise ValueError(f"num={num!r} must be a positive integer.")
    if not 0.0 < presence < 1.0:
        raise ValueError(f"presence={presence} must lie strictly between 0 and 1.")
    rng = np.random.default_rng(seed)
    present = rng.random((num, len(GROUPS))) < presence
    values = 0.5 * rng.standard_normal((num, len(FACTORS)))
    images = np.empty((num, 1, SIDE, SIDE), dtype=np.float32)
    for start in range(0, num, batch):
        part = slice(start, min(num, start + batch))
        images[part, 0] = _draw(present[part], values[part] * _SCALE)
    sources = present[:, GROUP_OF_FACTOR] * values
    return Smiley(images=images, present=present, values=values, sources=sources)


def _draw(present: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Rasterise a batch: ``d`` holds the scaled factor offsets in pixels, (B, 18)."""
    rows, cols = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    y, x = rows[None] + 0.5, cols[None] + 0.5  # pixel centres, (1, H, W)
    col = lambda k: d[:, k, None, None]  # noqa: E731  (B, 1, 1) view of one factor
    cy, cx = FACE_CENTRE
    face = (y - cy) ** 2 + (x - cx) ** 2 <= FACE_RADIUS**2
    has = [present[:, g, None, None] for g in range(len(GROUPS))]

    # eyes: two round holes
    separation, height, radius = 4 + col(0), cy - 3.5 + col(1), np.maximum(2 + col(2), 0.8)
    eyes = np.zeros((d.shape[0], SIDE, SIDE), dtype=bool)
    for side in (-1, 1):
        eyes |= (y - height) ** 2 + (x - (cx + side * separation)) ** 2 <= radius**2
    # mouth: an elliptic hole with its corners raised or lowered by the expression
    half_w, half_h = np.maximum(4 + col(3), 1.5) / 2 + 1, np.maximum(2 + col(4), 0.8) / 2
    mx, my, expression = cx + col(5), cy + 4.5 + col(6), col(7)
    mouth = ((x - mx) / half_w) ** 2 + ((y - my) / half_h) ** 2 <= 1
    for side in (-1, 1):
        for step, lift in ((1, 1.0), (2, 1.4)):
            corner_x, corner_y = mx + side * (half_w + step - 0.5), my - lift * expression
            mouth |= (np.abs(x - corner_x) <= 0.5) & (np.abs(y - corner_y) <= 0.5)
    # hat: a brim above the head and a crown on the brim
    brim_x, brim_bottom = cx + col(8), cy - FACE_RADIUS + 1 + col(9)
    brim_w, brim_h = np.maximum(15 + col(10), 4), np.maximum(2 + col(11), 1)
    crown_w, crown_h = np.maximum(10 + col(12), 2), np.maximum(2 + col(13), 1)
    brim = (np.abs(x - brim_x) <= brim_w / 2) & (y <= brim_bottom) & (y >= brim_bottom - brim_h)
    crown = (np.abs(x - brim_x) <= crown_w / 2) & (y < brim_bottom - brim_h) & (y >= brim_bottom - brim_h - crown_h)
    # bow tie: two triangles meeting at a knot below the chin
    tie_x, tie_y = cx + col(14), cy + FACE_RADIUS + 3 + col(15)
    tie_w, tie_h = np.maximum(12 + col(16), 3), np.maximum(5 + col(17), 2)
    dx, dy = np.abs(x - tie_x), np.abs(y - tie_y)
    tie = (dx <= tie_w / 2) & (dy <= 0.5 + (tie_h / 2) * dx / (tie_w / 2))

    image = face & ~(has[0] & eyes) & ~(has[1] & mouth)
    image |= has[2] & (brim | crown)
    image |= has[3] & tie & ~face
    return image.astype(np.float32)


#: bump when the drawing changes; stored splits of older versions are regenerated
GENERATOR_VERSION = 1
#: the book's splits: sizes of the authors' files (60,000 train, 20,000 test) and fixed seeds
SPLITS = {"train": (60_000, 1), "test": (20_000, 2)}


def load_split(split: str, root: Path | None = None) -> Smiley:
    """The ``"train"`` or ``"test"`` split, generated once and stored in ``data/smiley/``."""
    if split not in SPLITS:
        raise ValueError(f"unknown Smiley split {split!r}; use 'train' or 'test'.")
    num, seed = SPLITS[split]
    path = (root or data_dir()) / "smiley" / f"smiley-v{GENERATOR_VERSION}-{split}-{num}-seed{seed}.npz"
    if path.exists():
        try:
            with np.load(path) as stored:
                data = Smiley(images=stored["images"].astype(np.float32),
                              **{k: stored[k] for k in ("present", "values", "sources")})
            if data.images.shape == (num, 1, SIDE, SIDE):
                return data
        except (OSError, ValueError, KeyError):
            pass
        print(f"[smiley] {path} is unreadable or incomplete; generating it again.")
    data = generate(num, seed)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=data.images.astype(np.uint8), present=data.present, values=data.values,
                        sources=data.sources)
    write_atomic(path, buffer.getvalue())
    return data


def _detector_masks() -> tuple[np.ndarray, np.ndarray]:
    """(4, 32, 32) bool regions read by :func:`detect_groups`, and the minimum count of pixels
    there that must be off (eyes, mouth: holes in the face) or on (hat, bow tie: outside it)."""
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    y, x = rows + 0.5, cols + 0.5
    cy, cx = FACE_CENTRE
    outside_face = (y - cy) ** 2 + (x - cx) ** 2 > FACE_RADIUS**2
    band = lambda r0, r1, c0, c1: (rows >= r0) & (rows <= r1) & (cols >= c0) & (cols <= c1)  # noqa: E731
    masks = np.stack([
        band(9, 15, 9, 14), band(17, 22, 11, 22),  # left eye (the right one is checked alike), mouth
        (rows <= 7) & outside_face, (rows >= 26) & outside_face,
    ])
    return masks, np.array([1, 2, 4, 4])


def region_counts(images, threshold: float = 0.5) -> np.ndarray:
    """(N, 4) pixel counts in the detector regions of :func:`detect_groups`: pixels off in the
    left and right eye windows (the smaller of the two), off in the mouth window, on outside the
    face in the top eight rows (hat) and in the bottom six (bow tie). ``images`` are (N, 1, 32, 32)
    or (N, 32, 32) values or probabilities, binarised at ``threshold``."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE):
        raise ValueError(f"need images of shape (N, 1, {SIDE}, {SIDE}) or (N, {SIDE}, {SIDE}), got {np.shape(images)}.")
    on = x > threshold
    masks, _ = _detector_masks()
    # the other eye: the face is centred on x = 16.5, so column c mirrors to column 32 - c
    right_eye = np.roll(masks[0][:, ::-1], 1, axis=1)
    return np.stack([
        np.minimum((~on & masks[0]).sum((1, 2)), (~on & right_eye).sum((1, 2))),
        (~on & masks[1]).sum((1, 2)),
        (on & masks[2]).sum((1, 2)),
        (on & masks[3]).sum((1, 2)),
    ], axis=1)


def detect_groups(images, threshold: float = 0.5) -> np.ndarray:
    """Which attribute groups an image shows, read off fixed pixel regions: (N, 4) bool.

    ``images`` (N, 1, 32, 32) or (N, 32, 32) are pixel values or probabilities, binarised at
    ``threshold``. Eyes: at least one pixel off in each eye's window; mouth: at least two off in
    the mouth's window (all inside the face disc, so any hole there is an eye or the mouth);
    hat: at least four pixels on outside the face in the top eight rows; bow tie: at least four
    on outside the face in the bottom six (see :func:`region_counts`). Used to check generated
    images (does switching the hat's latent dimensions on draw a hat?); on the test split it
    agrees with the generator's flags for more than 99 % of images per group (tested).
    """
    return region_counts(images, threshold) >= _detector_masks()[1]


def main(argv: list[str] | None = None) -> int:
    """``python -m vsc_lib.smiley prepare``: generate (or check) both stored splits."""
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv != ["prepare"]:
        print("usage: python -m vsc_lib.smiley prepare", file=sys.stderr)
        return 2
    for split in SPLITS:
        data = load_split(split)
        print(f"smiley: {split} split ready ({len(data.images):,} images) in {data_dir() / 'smiley'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
