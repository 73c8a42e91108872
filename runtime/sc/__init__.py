"""Secondary Capture images (PS3.3 A.8): single- and multi-frame, from arrays, and back.

Writing::

    from iodkit.sc import SecondaryCapture
    SecondaryCapture(rgb_screenshot, reference=ct_datasets[0]).save("capture.dcm")
    SecondaryCapture(frames_uint16, reference=ct_datasets[0]).save("frames.dcm")  # Word SC

Reading::

    from iodkit.sc import read_secondary_capture
    with read_secondary_capture("capture.dcm") as sc:
        pixels = sc.get_frames()
"""

from iodkit.sc.reader import SecondaryCaptureReader, read_secondary_capture
from iodkit.sc.writer import SecondaryCapture, SecondaryCaptureError

__all__ = [
    "SecondaryCapture",
    "SecondaryCaptureError",
    "SecondaryCaptureReader",
    "read_secondary_capture",
]
