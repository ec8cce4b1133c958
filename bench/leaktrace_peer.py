"""The peers for bench/leaktrace.py: invisible-watermark (dwtDct) and blind-watermark, run in bench/.peer-img-venv.

    bench/.peer-img-venv/bin/python bench/leaktrace_peer.py embed JOB.json
    bench/.peer-img-venv/bin/python bench/leaktrace_peer.py decode JOB.json

embed: JOB has "master" (a PNG path), "payloads" (lists of 32 bits) and "out" (PNG paths); writes one marked copy
per payload with each peer ("<out>.iw.png", "<out>.bw.png"). decode: JOB has "items" ([peer, png path, bits]) and
"result" (a JSON path receiving the decoded bit lists, null where the peer raised). invisible-watermark imports its
RivaGAN module (torch) at import time although dwtDct does not use it: a stub module stands in for it.
"""

from __future__ import annotations

import json
import sys
import types
import warnings

import cv2
import numpy as np

warnings.filterwarnings("ignore")
_stub = types.ModuleType("imwatermark.rivaGan")
_stub.RivaWatermark = object  # type: ignore[attr-defined]
sys.modules["imwatermark.rivaGan"] = _stub

from blind_watermark import WaterMark, bw_notes  # noqa: E402
from imwatermark import WatermarkDecoder, WatermarkEncoder  # noqa: E402

bw_notes.close()


def embed(job: dict) -> None:
    master = cv2.imread(job["master"], cv2.IMREAD_COLOR)
    for bits, out in zip(job["payloads"], job["out"], strict=True):
        encoder = WatermarkEncoder()
        encoder.set_watermark("bits", [int(b) for b in bits])
        cv2.imwrite(out + ".iw.png", encoder.encode(master, "dwtDct"))
        mark = WaterMark(password_img=1, password_wm=1)
        mark.read_img(img=master)
        mark.read_wm([bool(b) for b in bits], mode="bit")
        cv2.imwrite(out + ".bw.png", mark.embed())


def decode(job: dict) -> None:
    results: list[list[int] | None] = []
    for peer, path, bits in job["items"]:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        try:
            if peer == "iw":
                decoded = WatermarkDecoder("bits", int(bits)).decode(image, "dwtDct")
                results.append([int(b) for b in decoded])
            else:
                out = WaterMark(password_img=1, password_wm=1).extract(embed_img=image, wm_shape=int(bits), mode="bit")
                results.append([int(b > 0.5) for b in np.asarray(out).ravel()])
        except Exception:  # a peer that cannot decode at all counts as not identified
            results.append(None)
    with open(job["result"], "w", encoding="utf-8") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as handle:
        task = json.load(handle)
    (embed if sys.argv[1] == "embed" else decode)(task)
