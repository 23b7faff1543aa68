"""Neo conversion of spikemem recordings, and NWB files written through Neo.

`to_neo` gives a `neo.Block` laid out as PyNN's ``get_data()`` lays out its blocks: one
`Segment`, one `SpikeTrain` per neuron (ms, ``t_start`` 0, ``t_stop`` the recording's end,
annotated with ``source_population`` and ``source_index``), one `AnalogSignal` of membrane
potentials (mV) per traced population, and the weight snapshots of plastic projections as
`IrregularlySampledSignal`s (nA). Elephant and NWB tools read these objects directly.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .errors import ValidationError

__all__ = ["to_neo", "write_nwb"]


def to_neo(recording, populations=None):
    """A `neo.Block` holding what `recording` recorded.

    Parameters
    ----------
    recording : spikemem.Recording
    populations : sequence of str, optional
        Labels of the populations (and spike sources) to include; default all.

    Returns
    -------
    neo.Block
        One Segment; spike trains in ms, membrane potentials in mV, weights in nA.

    Raises
    ------
    ValidationError
        `recording` is not a Recording, or a label is not in it.
    """
    import neo
    import quantities as pq

    from .recording import Recording
    if not isinstance(recording, Recording):
        raise ValidationError(f"to_neo: expected a spikemem.Recording, got "
                              f"{type(recording).__name__}")
    labels = recording.populations if populations is None else list(populations)
    for label in labels:
        if label not in recording.sizes:
            raise ValidationError(f"to_neo: population {label!r} is not in the recording; it "
                                  f"has {recording.populations}")
    t_stop = recording.t_stop * pq.ms
    block = neo.Block(name=str(recording.metadata.get("network", "spikemem")),
                      **{k: v for k, v in recording.metadata.items()
                         if isinstance(v, (str, int, float))})
    seg = neo.Segment(name="segment000")
    block.segments.append(seg)
    for label in labels:
        times, ids = recording.spikes(label)
        stop = max(float(t_stop), float(times.max()) + recording.dt if times.size else 0.0)
        for n in range(recording.sizes[label]):
            seg.spiketrains.append(neo.SpikeTrain(
                times[ids == n], units="ms", t_start=0.0 * pq.ms, t_stop=stop * pq.ms,
                source_population=label, source_index=n, channel_id=n))
        if label in recording.traced:
            t_v, v = recording.v(label)
            if t_v.size:
                seg.analogsignals.append(neo.AnalogSignal(
                    v, units="mV", t_start=t_v[0] * pq.ms, sampling_period=recording.dt * pq.ms,
                    name="v", source_population=label,
                    array_annotations={"channel_index": np.arange(v.shape[1])}))
    for label in recording.weight_labels:
        t_w, w = recording.weights(label)
        seg.irregularlysampledsignals.append(neo.IrregularlySampledSignal(
            t_w * pq.ms, w, units="nA", time_units="ms", name="weight", projection=label))
    for obj in seg.spiketrains + seg.analogsignals + seg.irregularlysampledsignals:
        obj.segment = seg
    seg.block = block
    return block


def write_nwb(block, path, session_description: str = "spikemem recording",
              identifier: str | None = None) -> Path:
    """Write a `neo.Block` (or a spikemem Recording) as an NWB file through Neo's NWBIO.

    The file is written to a temporary name and renamed, so a failure leaves nothing behind.

    Parameters
    ----------
    block : neo.Block or spikemem.Recording
    path : str or Path
        Destination, usually ending in ``.nwb``.
    session_description : str
    identifier : str, optional
        NWB identifier (default: the file name).

    Returns
    -------
    Path
    """
    from neo.io import NWBIO

    from .recording import Recording
    if isinstance(block, Recording):
        block = to_neo(block)
    path = Path(path)
    if not path.parent.is_dir():
        raise ValidationError(f"write_nwb: folder {str(path.parent)!r} does not exist")
    block.annotations.setdefault("session_start_time", datetime.now(timezone.utc))
    block.annotations.setdefault("session_description", session_description)
    block.annotations.setdefault("identifier", identifier or path.stem)
    fd, tmp = tempfile.mkstemp(suffix=".nwb", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        NWBIO(tmp, mode="w").write_all_blocks([block])
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
