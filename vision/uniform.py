"""Uniform model (optional, off by default): staff told apart by the colours of their upper body.

Beyond staff zones (vision/staff.py), a store's staff usually wear a uniform. This stage learns its colours
continuously from the tracks the staff zones have marked, and marks other tracks whose upper body matches:
- descriptor: hue-saturation histogram (HS_BINS) of the torso (the top 40% of the person box, below the head,
  inset from the arms) in HSV, pixels too dark or too grey to have a hue left out, L1-normalised (so a uniform's
  colour, not the lighting, matters); none while another person's box covers more than OCCLUDED of that torso
  (at the door and in a line, a colleague in front would lend a customer the uniform's colours);
- model: the running mean of the descriptors of marked tracks while they are in a staff zone (one per frame
  each), ready once it has `min_samples` of them;
- a track elsewhere is compared on the mean of its own descriptors once it has `min_frames` of them:
  confidence = 1 − Bhattacharyya distance (1: the same colours, 0: none in common); at `threshold` or
  more it gets a `staff` mark with zone_id "uniform", the same mark a staff zone gives (so every consumer
  leaves the track out, and the store shows the crossings excluded); `confidences` keeps the marks';
- a marked track whose upper body stays unlike the uniform (confidence under half the threshold for
  `unlike_frames` frames in a row, out of the staff zones) has swapped identities with someone passing: it
  goes on as another person (EventPipeline.unmark_staff), a customer unless marked again.

It needs pixels, so it runs in the frame loop (vision/driver.PipelineDriver.uniform); pure numpy + OpenCV.
One model per store, shared by its cameras' drivers, lives as long as the process (learned again after a
restart: it needs only a few staff-zone visits).
"""

from __future__ import annotations

from typing import Any

import numpy as np

UNIFORM_ZONE = "uniform"
HS_BINS = (16, 4)
UPPER_BODY = 0.4
OCCLUDED = 0.15


def torso(box) -> tuple[float, float, float, float]:
    """The upper body of a person box (x1, y1, x2, y2): below the head, inset from the arms and background."""
    x1, y1, x2, y2 = (float(v) for v in box)
    inset = 0.2 * (x2 - x1)
    return x1 + inset, y1 + 0.08 * (y2 - y1), x2 - inset, y1 + UPPER_BODY * (y2 - y1)


def occluded(box, others) -> bool:
    """Another person's box covers more than OCCLUDED of this one's torso: its colours are not (only) its own."""
    tx1, ty1, tx2, ty2 = torso(box)
    area = max(tx2 - tx1, 0.0) * max(ty2 - ty1, 0.0)
    for o in others:
        ix = min(tx2, float(o[2])) - max(tx1, float(o[0]))
        iy = min(ty2, float(o[3])) - max(ty1, float(o[1]))
        if ix > 0 and iy > 0 and ix * iy > OCCLUDED * area:
            return True
    return False


def upper_body_histogram(image: np.ndarray, box) -> np.ndarray | None:
    """HS histogram of the torso of `box` (x1, y1, x2, y2) in a BGR image; None when too little is visible."""
    import cv2

    h_img, w_img = image.shape[:2]
    x1, top, x2, bottom = torso(box)
    xa, xb = int(max(0, x1)), int(min(w_img, x2))
    ya, yb = int(max(0, top)), int(min(h_img, bottom))
    if xb - xa < 3 or yb - ya < 3:
        return None
    hsv = cv2.cvtColor(np.ascontiguousarray(image[ya:yb, xa:xb]), cv2.COLOR_BGR2HSV)
    mask = cv2.inRange(hsv, (0, 40, 40), (180, 255, 255))  # has a hue: not black, white or grey
    if cv2.countNonZero(mask) < 0.2 * mask.size:
        return None
    hist = cv2.calcHist([hsv], [0, 1], mask, list(HS_BINS), [0, 180, 0, 256]).ravel().astype(np.float64)
    total = hist.sum()
    return hist / total if total > 0 else None


def bhattacharyya(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya distance of two L1-normalised histograms (0 identical, 1 disjoint)."""
    bc = float(np.sum(np.sqrt(a * b)))
    return float(np.sqrt(max(0.0, 1.0 - min(1.0, bc))))


class UniformModel:
    """Uniform colours of one store, learned from staff-zone tracks."""

    def __init__(self, min_samples: int = 20):
        self.mean: np.ndarray | None = None
        self.samples = 0
        self.min_samples = min_samples

    @property
    def ready(self) -> bool:
        return self.mean is not None and self.samples >= self.min_samples

    def learn(self, descriptor: np.ndarray) -> None:
        self.samples += 1
        if self.mean is None:
            self.mean = descriptor.copy()
        else:
            # Running mean over the last ~500 samples: learned continuously, uniforms may change with a season.
            rate = max(1.0 / self.samples, 1.0 / 500)
            self.mean += rate * (descriptor - self.mean)

    def confidence(self, descriptor: np.ndarray) -> float:
        if self.mean is None:
            return 0.0
        return 1.0 - bhattacharyya(descriptor, self.mean / max(self.mean.sum(), 1e-12))


class UniformStage:
    """Per camera: learns from staff-zone tracks, marks matching tracks elsewhere (see the module docstring)."""

    def __init__(self, model: UniformModel | None = None, threshold: float = 0.6, min_frames: int = 6,
                 unlike_frames: int = 12):
        self.model = model or UniformModel()
        self.threshold = threshold
        self.min_frames = min_frames
        self.unlike_frames = unlike_frames
        self._unlike: dict[str, int] = {}  # marked person_key -> frames in a row unlike the uniform
        self._tracks: dict[str, tuple[np.ndarray, int]] = {}  # person_key -> (sum of descriptors, n)
        self.confidences: list[float] = []  # of the marks made, in order

    def observe(self, pipeline: Any, image: np.ndarray, t: float) -> list[dict]:
        """After pipeline.update() on this frame: learn, and return the events of the uniform marks made (already
        accounted: the marks, and the closed stays of an old track split before its mark)."""
        staff = pipeline.staff
        if image is None or not staff.regions:
            return []
        marks: list[dict] = []
        seen = [st for st in pipeline.tracks if st.matched and st.confirmed]
        for st in seen:
            if occluded(st.box, [o.box for o in seen if o is not st]):
                continue  # a door crowd or a queue: someone else's colours would teach or mark it
            pk = pipeline.person_key_of(st)
            by = staff.marked_by(pk)
            descriptor = upper_body_histogram(image, st.box)
            if descriptor is None:
                continue
            if by is not None:
                inside = pipeline.in_staff_zone(st)
                if self._unlike_long(pk, descriptor, inside):
                    marks += pipeline.unmark_staff(st, t)
                elif inside:  # staff, and in a staff zone now (not someone its track swapped to): a sample
                    self.model.learn(descriptor)
                continue
            total, n = self._tracks.get(pk, (np.zeros_like(descriptor), 0))
            total, n = total + descriptor, n + 1
            self._tracks[pk] = (total, n)
            if n >= self.min_frames and self.model.ready:
                confidence = self.model.confidence(total / n)
                if confidence >= self.threshold:
                    events = pipeline.mark_staff(st, t, UNIFORM_ZONE)
                    if events:
                        marks += events
                        self.confidences.append(round(confidence, 3))
        # Forget ended tracks only: a track missed for a frame (lost, kept for re-association) keeps its history.
        live = {pipeline.person_key_of(st) for st in pipeline.tracks}
        self._tracks = {pk: v for pk, v in self._tracks.items() if pk in live}
        self._unlike = {pk: v for pk, v in self._unlike.items() if pk in live}
        return marks

    def _unlike_long(self, pk: str, descriptor: np.ndarray, in_staff_zone: bool) -> bool:
        """A marked track unlike the uniform for `unlike_frames` frames in a row (once the model is ready), out of
        the staff zones: in one, the zone is the evidence (a manager out of uniform behind the counter stays)."""
        if in_staff_zone or not self.model.ready or self.model.confidence(descriptor) >= self.threshold / 2:
            self._unlike.pop(pk, None)
            return False
        self._unlike[pk] = self._unlike.get(pk, 0) + 1
        return self._unlike[pk] >= self.unlike_frames


_STORE_MODELS: dict[str, UniformModel] = {}


def store_uniform_model(store_key: str) -> UniformModel:
    """The process-wide model of one store: its cameras' stages learn into and read from the same one."""
    return _STORE_MODELS.setdefault(store_key, UniformModel())
