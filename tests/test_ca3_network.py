"""The CA3 memory's IR: populations, projections and parameters as published, validation."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.models.ca3_cam import (CONTENT_TO_CUE, CUE_TO_CONTENT, DEFAULT_PARAMS,
                                     build_network)


def _proj(net, label):
    return net[label]


def test_network_has_the_papers_populations_with_their_sizes_and_cell_parameters():
    net, layout = build_network(5, 10)
    sizes = {p.label: p.size for p in net.populations}
    assert sizes == {"CA3cueCueRecall": 5, "CA3cueContRecall": 5, "CA3contCueRecall": 10,
                     "CA3contContRecall": 10, "CA3contCond": 10, "CA3contCondInt": 1,
                     "CA3mergeCue": 5, "CA3mergeCont": 10, "OUT": 15}
    assert net["IN"].size == 15 and isinstance(net["IN"], sm.SpikeSourceArray)
    slow = ("CA3cueCueRecall", "CA3contCueRecall", "CA3contContRecall", "CA3mergeCue",
            "CA3mergeCont")
    for lab in slow:
        c = net[lab].celltype
        assert (c.cm, c.tau_m, c.v_thresh) == (0.27, 3.0, -57.0)
    for lab in ("CA3cueContRecall", "CA3contCond", "CA3contCondInt"):
        c = net[lab].celltype
        assert (c.cm, c.tau_m, c.v_thresh) == (0.14, 0.5, -57.0)
    out = net["OUT"].celltype
    assert (out.cm, out.tau_m, out.v_thresh) == (0.27, 3.0, -57.5)
    for p in net.populations:
        c = p.celltype
        assert (c.v_rest, c.v_reset, c.tau_refrac, c.tau_syn_E, c.tau_syn_I, c.i_offset) == \
            (-60.0, -60.0, 1.0, 0.3, 0.3, 0.0)
        assert np.all(p.initial_v_array() == -60.0)
    assert (layout.cue_size, layout.content_size, layout.input_size) == (5, 10, 15)


def test_plastic_projections_are_all_to_all_stdp_with_the_published_rule():
    net, _ = build_network(3, 4)
    a, b = net[CUE_TO_CONTENT], net[CONTENT_TO_CUE]
    assert a.size == 12 and b.size == 12
    for proj in (a, b):
        s = proj.synapse
        assert isinstance(s, sm.STDP)
        assert (s.tau_plus, s.tau_minus, s.A_plus, s.A_minus, s.w_min, s.w_max) == \
            (3.0, 3.0, 6.0, 6.0, 0.0, 6.0)
        assert s.weight_dependence == "additive"
        assert np.all(proj.weight == 0.0) and np.all(proj.delay == 1.0)
    assert a.pre_population.label == "CA3cueCueRecall"
    assert a.post_population.label == "CA3contCueRecall"
    assert b.pre_population.label == "CA3contContRecall"
    assert b.post_population.label == "CA3cueContRecall"


@pytest.mark.parametrize("label, receptor, weight, delay, n", [
    ("IN_cue-CueCueRecall", "excitatory", 6.0, 1.0, 3),
    ("IN_cont-ContCueRecall", "excitatory", 6.0, 1.0, 4),
    ("CueCueRecall-CueContRecall", "excitatory", 6.0, 2.0, 3),
    ("CueCueRecall-CueContRecall-inh", "inhibitory", 6.0 * 4, 3.0, 3 * 2),
    ("CueContRecall-CueContRecall-inh", "inhibitory", 6.0 * 4, 2.0, 3 * 2),
    ("CueCueRecall-ContCond-inh", "inhibitory", 6.0, 2.0, 3 * 4),
    ("ContCueRecall-ContCond", "excitatory", 9.0, 1.0, 4),
    ("ContCueRecall-ContCondInt", "excitatory", 6.0, 1.0, 4),
    ("ContCondInt-ContCond", "excitatory", 2.0, 1.0, 4),
    ("ContCond-ContContRecall", "excitatory", 6.0, 1.0, 4),
    ("CueCueRecall-MergeCue", "excitatory", 6.0, 3.0, 3),
    ("CueContRecall-MergeCue", "excitatory", 6.0, 1.0, 3),
    ("ContCueRecall-MergeCont", "excitatory", 6.0, 3.0, 4),
    ("ContContRecall-MergeCont", "excitatory", 6.0, 1.0, 4),
    ("MergeCue-OUT_cue", "excitatory", 6.0, 1.0, 3),
    ("MergeCont-OUT_cont", "excitatory", 6.0, 1.0, 4),
])
def test_static_projections_follow_the_published_table(label, receptor, weight, delay, n):
    net, _ = build_network(3, 4)
    p = net[label]
    assert p.receptor == receptor and p.size == n
    assert np.all(p.weight == weight) and np.all(p.delay == delay)


def test_no_self_inhibition_leaves_out_exactly_the_equal_index_pairs():
    net, _ = build_network(4, 2)
    for label in ("CueCueRecall-CueContRecall-inh", "CueContRecall-CueContRecall-inh"):
        p = net[label]
        pairs = set(zip(p.pre_idx.tolist(), p.post_idx.tolist()))
        assert pairs == {(i, j) for i in range(4) for j in range(4) if i != j}


def test_input_and_output_views_split_cue_and_content_neurons():
    net, _ = build_network(3, 4)
    p = net["IN_cont-ContCueRecall"]
    assert p.pre_idx.tolist() == [3, 4, 5, 6] and p.post_idx.tolist() == [0, 1, 2, 3]
    q = net["MergeCont-OUT_cont"]
    assert q.post_idx.tolist() == [3, 4, 5, 6]
    r = net["MergeCue-OUT_cue"]
    assert r.post_idx.tolist() == [0, 1, 2]


def test_params_override_is_merged_and_applied():
    net, _ = build_network(2, 3, params={"slow": {"tau_m": 4.0},
                                         "synapses": {"ContCondInt-ContCond": {"weight": 2.5}},
                                         "stdp": {"A_minus": 3.0}})
    assert net["CA3mergeCue"].celltype.tau_m == 4.0
    assert net["CA3contCond"].celltype.tau_m == 0.5
    assert np.all(net["ContCondInt-ContCond"].weight == 2.5)
    assert net[CUE_TO_CONTENT].synapse.A_minus == 3.0
    assert DEFAULT_PARAMS["slow"]["tau_m"] == 3.0       # defaults untouched


@pytest.mark.parametrize("kwargs, match", [
    (dict(cue_size=0, content_size=3), "cue_size"),
    (dict(cue_size=2, content_size=1.5), "content_size"),
    (dict(cue_size=2, content_size=3, params={"slwo": {}}), "unknown key 'slwo'"),
    (dict(cue_size=2, content_size=3, params={"slow": {"tau_mm": 1.0}}), "tau_mm"),
    (dict(cue_size=2, content_size=3, params={"slow": {"tau_m": -1.0}}), "tau_m"),
    (dict(cue_size=2, content_size=3, params={"stdp": 5}), "must be a dict"),
    (dict(cue_size=2, content_size=3,
          params={"synapses": {"ContCond-ContContRecall": {"delay": 0.5}}}), "delay"),
])
def test_bad_sizes_and_parameters_raise_validation_errors(kwargs, match):
    with pytest.raises(sm.ValidationError, match=match):
        build_network(**kwargs)
