"""Generated test pictures: a white text-like page (150 dpi A4 by default) and a process flow diagram."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

WORDS = (
    "neodymium", "praseodymium", "oxide", "separation", "solvent", "extraction", "stage", "feed", "acid", "leach",
    "filter", "calcine", "furnace", "magnet", "alloy", "strip", "cast", "hydrogen", "decrepitation", "jet", "mill",
    "press", "sinter", "anneal", "coat", "inspect", "batch", "lot", "yield", "purity", "ppm", "sample", "assay",
    "quota", "permit", "record", "operator", "shift", "temperature", "pressure", "flow", "rate", "tank", "pump",
    "valve",
)


def text_page(seed: int = 1, *, width: int = 1240, height: int = 1754, scale: float = 0.55) -> npt.NDArray[np.uint8]:
    """Black text lines on white, margins of ~1 inch, a title line; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    page = np.full((height, width), 255, dtype=np.uint8)
    margin = max(width // 9, 20)
    cv2.putText(page, f"PROCESS SPECIFICATION {seed:04d}", (margin, margin + 20), cv2.FONT_HERSHEY_DUPLEX,
                scale * 1.8, 0, 2, cv2.LINE_AA)
    y = margin + 80
    step = max(int(40 * scale), 14)
    while y < height - margin:
        line, x_end = "", margin
        while True:
            word = str(rng.choice(WORDS))
            candidate = f"{line} {word}".strip()
            (tw, _), _ = cv2.getTextSize(candidate, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
            if margin + tw > width - margin:
                break
            line, x_end = candidate, margin + tw
        if rng.random() < 0.12:  # paragraph break
            y += step
            continue
        cv2.putText(page, line, (margin, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 1, cv2.LINE_AA)
        del x_end
        y += step
    return page


def diagram(seed: int = 2, *, width: int = 1000, height: int = 700) -> npt.NDArray[np.uint8]:
    """A colour flow diagram: labelled boxes joined by arrows on white."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    cols, rows = 4, 3
    bw, bh = width // (cols * 2), height // (rows * 3)
    centres = []
    for r in range(rows):
        for c in range(cols):
            cx = int((c + 0.5) * width / cols + rng.integers(-15, 16))
            cy = int((r + 0.5) * height / rows + rng.integers(-15, 16))
            centres.append((cx, cy))
            colour = tuple(int(v) for v in rng.integers(150, 240, size=3))
            cv2.rectangle(img, (cx - bw // 2, cy - bh // 2), (cx + bw // 2, cy + bh // 2), colour, -1)
            cv2.rectangle(img, (cx - bw // 2, cy - bh // 2), (cx + bw // 2, cy + bh // 2), (40, 40, 40), 2)
            label = f"{str(rng.choice(WORDS))[:9]} {r * cols + c + 1}"
            cv2.putText(img, label, (cx - bw // 2 + 6, cy + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                        cv2.LINE_AA)
    for i in range(len(centres) - 1):
        a, b = centres[i], centres[i + 1]
        if (i + 1) % cols == 0:
            start, end = (a[0], a[1] + bh // 2), (b[0], b[1] - bh // 2)
        else:
            start, end = (a[0] + bw // 2, a[1]), (b[0] - bw // 2, b[1])
        cv2.arrowedLine(img, start, end, (20, 20, 120), 2, cv2.LINE_AA, tipLength=0.08)
    cv2.putText(img, f"FLOW DIAGRAM {seed:03d}", (20, height - 20), cv2.FONT_HERSHEY_DUPLEX, 0.8, (0, 0, 0), 1,
                cv2.LINE_AA)
    return img
