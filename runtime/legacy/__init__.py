"""Legacy Converted Enhanced CT, MR and PET images (PS3.3 A.70–A.72): a classic series as one
multi-frame instance, and back.

Converting::

    from iodkit.legacy import LegacyConvertedEnhancedImage
    LegacyConvertedEnhancedImage(ct_datasets).save("ct.lce.dcm")

Reading (ours, highdicom's)::

    from iodkit.legacy import read_legacy_converted
    with read_legacy_converted("ct.lce.dcm") as image:
        frames, positions = image.get_frames(), image.positions

Modules: :mod:`~iodkit.legacy.writer`, :mod:`~iodkit.legacy.reader`,
:mod:`~iodkit.legacy.classify` (shared and per-frame attributes), :mod:`~iodkit.legacy.frames`
(functional groups from classic attributes), :mod:`~iodkit.legacy.profiles` (CT, MR, PET).
"""

from iodkit.legacy.errors import LegacyConversionError, LegacyReadError
from iodkit.legacy.reader import LegacyConvertedReader, read_legacy_converted
from iodkit.legacy.writer import LegacyConvertedEnhancedImage

__all__ = [
    "LegacyConversionError",
    "LegacyConvertedEnhancedImage",
    "LegacyConvertedReader",
    "LegacyReadError",
    "read_legacy_converted",
]
