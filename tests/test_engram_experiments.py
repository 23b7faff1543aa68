"""The engram experiments run end to end on small networks and write their files."""
import argparse
import json
import math

import h5py
import pytest

from spikemem.errors import ValidationError
from spikemem.experiments import (engram_capacity, engram_completion, engram_consolidation,
                                  engram_interference, engram_sequence)
from spikemem.experiments._common import conclude, engram_size_arguments
from spikemem.models.engram_theory import (hopfield_capacity, relative_threshold_capacity,
                                           sparse_covariance_capacity, willshaw_capacity)


def _files(out, *names):
    for name in names:
        assert (out / name).stat().st_size > 0, name
    with h5py.File(out / "results.h5") as f:
        assert f.attrs["spikemem_kind"] == "results"
    return json.loads((out / "summary.json").read_text())


def test_completion_experiment_recalls_from_half_cues_and_not_from_a_tenth(tmp_path):
    s = engram_completion.main(["--out", str(tmp_path), "--n", "80", "--k", "10",
                                "--loads", "3", "6", "--tests", "3"])
    assert _files(tmp_path, "completion.png", "raster.png", "recording.h5") == s
    half, tenth = s["fractions"].index(0.5), s["fractions"].index(0.1)
    assert s["exact"][0][half] == 1.0 and s["f1"][0][tenth] == 0.0


def test_capacity_experiment_finds_a_finite_capacity_for_dense_engrams(tmp_path):
    s = engram_capacity.run(out=tmp_path, n=40, ks=(20,), max_patterns=30, n_tests=3)
    _files(tmp_path, "capacity.png")
    row = s["rows"][0]
    assert 1 <= row["capacity"] < 30 and not row["reached_max"]


def test_consolidation_experiment_keeps_replayed_engrams_and_loses_the_others(tmp_path):
    s = engram_consolidation.run(out=tmp_path, n=60, k=10, rehearsals=(0, 2), per_group=1,
                                 stm_tau=500.0, delays=(0.0, 1000.0))
    _files(tmp_path, "consolidation.png", "raster.png", "recording.h5")
    assert s["by_rehearsals"]["0"]["recall_f1"] == [1.0, 0.0]
    assert s["by_rehearsals"]["2"]["recall_f1"] == [1.0, 1.0]
    assert s["by_rehearsals"]["2"]["slow"][-1] == pytest.approx(1.0)


def test_sequence_experiment_recalls_short_chains_in_order(tmp_path):
    s = engram_sequence.run(out=tmp_path, n=120, k=12, lengths=(3, 4), wm_ms=(20.0,),
                            chains=2, background=2)
    _files(tmp_path, "sequence.png", "raster.png")
    assert s["fraction_fully_in_order"] == [[1.0, 1.0]]


def test_interference_experiment_merges_only_large_overlaps(tmp_path):
    s = engram_interference.run(out=tmp_path, n=60, k=10, overlaps=(2, 9), repeats=2)
    _files(tmp_path, "interference.png", "raster.png")
    assert s["intrusion_into_a"] == [0.0, 1.0]


def test_overlapping_pair_rejects_impossible_overlaps():
    with pytest.raises(ValidationError, match="overlap"):
        engram_interference.overlapping_pair(30, 10, 11, seed=0)


def test_capacity_theory_matches_hand_computed_values():
    assert hopfield_capacity(1000) == pytest.approx(138.0)
    # Willshaw, n = 1000, k = 10, full cue: p1 = (1/990)^(1/10); P = ln(1-p1) / ln(1-1e-4)
    p1 = (1 / 990) ** 0.1
    assert willshaw_capacity(1000, 10) == pytest.approx(
        math.log(1 - p1) / math.log(1 - 1e-4), rel=1e-12)
    assert sparse_covariance_capacity(1000, 0.01) == pytest.approx(
        1000 / (0.02 * math.log(100)), rel=1e-12)
    # a cue too small to complete the engram stores nothing
    assert relative_threshold_capacity(400, 20, 4, 0.6, 0.1) == 0.0
    # more inhibition -> a stricter threshold -> more capacity
    assert (relative_threshold_capacity(400, 20, 10, 0.6, 0.1)
            > relative_threshold_capacity(400, 20, 10, 0.4, 0.1))


def test_lifetime_experiment_measures_longer_lifetimes_for_slower_decay(tmp_path):
    from spikemem.experiments import engram_lifetime
    s = engram_lifetime.run(out=tmp_path, n=60, k=10, taus=(500.0, 2000.0), seeds=1,
                            background=1, steps=5)
    _files(tmp_path, "lifetime.png")
    short, long_ = s["lifetime_ms"][0][0], s["lifetime_ms"][1][0]
    assert 0 < long_ < 2000.0 and short < long_
    assert s["default_recall_f1"] == [1.0]              # the default does not forget
    with pytest.raises(ValidationError, match="taus"):
        engram_lifetime.run(out=tmp_path, taus=(math.inf,))


def test_consolidation_experiment_gives_the_same_result_on_every_backend(backend, tmp_path):
    kw = dict(n=30, k=6, rehearsals=(0, 2), per_group=1, stm_tau=500.0, delays=(0.0, 1000.0))
    ref = engram_consolidation.run(out=tmp_path / "numba", **kw)
    s = engram_consolidation.run(out=tmp_path / backend, backend=backend, **kw)
    assert s["by_rehearsals"] == ref["by_rehearsals"]
    assert s["by_rehearsals"]["2"]["recall_f1"][-1] == 1.0


def test_engram_main_prints_its_result_with_wall_time_and_output_folder(tmp_path, capsys):
    s = engram_interference.main(["--out", str(tmp_path), "--n", "40", "--k", "6",
                                  "--repeats", "1", "--no-report"])
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith(f"{engram_interference.NAME}: B intrudes into A's recall from ")
    assert line.endswith(f" of 6 (predicted {s['predicted_merge_overlap']:.0f}); "
                         f"{s['wall_s']} s; files in {tmp_path}")
    assert (s["n"], s["k"]) == (40, 6)


def test_conclude_and_engram_size_arguments_reject_bad_input():
    with pytest.raises(TypeError, match="experiment_parser"):
        conclude(argparse.Namespace(out="x"), {"wall_s": 0.0}, "result")
    with pytest.raises(TypeError, match="ArgumentParser"):
        engram_size_arguments("--n 10", n=10)
