"""Every exporter says which weights of a plastic projection it wrote and what it drops."""
from __future__ import annotations

import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.hardware import to_loihi, to_nir
from spikemem.hardware.plastic_state import plastic_state_notes
from spikemem.models.session import register_session, session_class


def _net():
    net = sm.Network(dt=1.0, label="plastic")
    a = net.add(sm.Population(2, sm.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=2.0), label="a"))
    s = net.add(sm.SpikeSourceArray([[1.0], [2.0]], label="s"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.STDP(weight=1.0, w_max=5.0), label="stdp"))
    net.add(sm.Projection(a, a, sm.AllToAll(False),
                          sm.ConsolidatingSTDP(w_max=4.0, tau_decay=100.0, delay=1.0),
                          label="cons"))
    return net


def test_notes_name_initial_weights_unless_weights_are_given_and_the_dropped_state():
    net = _net()
    notes = plastic_state_notes(net, None, "nir")
    assert len(notes) == 2 and all("INITIAL weights" in n for n in notes)
    assert "'cons' is plastic (ConsolidatingSTDP)" in notes[1] and "tags" in notes[1]
    given = plastic_state_notes(net, {"stdp": np.array([2.0, 3.0])}, "spinnaker")
    assert "weights given to the export" in given[0] and "goes on learning" in given[0]
    assert "INITIAL" in given[1]


def test_nir_and_loihi_exports_warn_with_the_notes():
    net = _net()
    with pytest.warns(UserWarning, match="nir export: projection 'stdp' is plastic .*INITIAL"):
        to_nir(net)
    with pytest.warns(UserWarning, match="loihi export: projection 'stdp' .*weights given"):
        lo = to_loihi(net, weights={"stdp": np.array([2.0, 3.0])})
    assert any("weights given" in w for w in lo.report.warnings)


def test_bad_target_and_bad_session_registrations_are_named():
    with pytest.raises(ValidationError, match="target must be one of"):
        plastic_state_notes(_net(), None, "truenorth")
    with pytest.raises(ValidationError, match="not a MemorySession"):
        register_session("thing")(dict)
    with pytest.raises(ValidationError, match="no memory model 'thing'"):
        session_class("thing")
