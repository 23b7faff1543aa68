"""sPyMem 0.0.9's four models, unmodified, on spikemem.pynn (issue 13, done-when 1 and 2).

Documented timing (sPyMem's documentation, summarised in shared/reference/pynn.md and
reference/ca3_cam.md), dt = 1 ms:
- CA3 content-addressable memory: learning holds the input 3 steps and the next operation may
  start 7 steps after it; recall holds it 1 step, next operation after 6; the output shows the
  cue 5 steps after an operation starts and the content one step later; recall by content
  returns the matching cue about 6 steps after the fragment.
- DG-CA3-CA1 with forgetting: learning takes 7 steps and recall 6; the output comes 8 steps
  after a learning operation starts and 6 (cue) + 1 (content) after a recall starts.
- Bio-inspired DG/CA1 variant: learning takes 7 steps, recall 5 (content out 5 steps after
  the recall starts).
- ca3 (CA3 only): no documented timing; run at the CAM's rates with its measured latencies.
Each test runs operations at exactly those rates, so a slower network would fail.
"""
import numpy as np
import pytest

pytest.importorskip("sPyMem")
import spikemem as sm                                                   # noqa: E402
import spikemem.pynn as sim                                             # noqa: E402
from pynn_models import run_model                                       # noqa: E402
from spikemem.models.ca3_network import build_network                   # noqa: E402


def test_ca3_content_addressable_learn_recall_by_cue_and_content_forget_at_documented_rate():
    cue, cont = 5, 10
    b = lambda *bits: [cue + x for x in bits]                           # noqa: E731
    ops = [(0, 0, [0, 1, 2, 9], 3),      # learn: next op 7 steps later
           (7, 1, [3, 4], 3),            # learn
           (14, 0, [], 1),               # recall by cue: next op 6 steps later
           (20, 1, [], 1),
           (26, None, [9], 1),           # recall by content (fragment: bit 9)
           (32, 0, [5], 3),              # relearn cue 0 with new content: forget
           (39, 0, [], 1)]
    out, _ = run_model(sim, "CA3_content_addressable", cue, cont, ops, 50.0)
    assert out[5.0] == [0] + b(0, 1, 2, 9)          # learning echoes 5 steps after the start
    assert out[12.0] == [1] + b(3, 4)
    assert out[19.0] == [0]                          # recall: cue 5 steps after the start
    assert out[20.0] == b(0, 1, 2, 9)                # content one step later
    assert out[25.0] == [1] and out[26.0] == b(3, 4)
    assert out[32.0] == [0]                          # by content: cue 0, 6 steps after
    assert out[44.0] == [0] and out[45.0] == b(5)    # old bits forgotten


@pytest.mark.parametrize("model, cue_out, content_out, learn_out", [
    # bio-inspired DG/CA1: learning 7 steps, recall 5 (content at +5)
    ("hippocampus_bioinspired_dg_ca1", 4, 5, (4, 6)),
    # with forgetting: learning output 8 steps after the start, recall 6 + 1
    ("hippocampus_with_forgetting", 6, 7, (6, 8)),
    # CA3 only: sPyMem's documentation states no timing for it; the CAM's rates (learn 7,
    # recall 6) are used, and the latencies pinned are the measured ones (cue +2, content +3)
    ("ca3", 2, 3, (2, 4)),
])
def test_hippocampus_models_learn_recall_and_forget_at_documented_rate(
        model, cue_out, content_out, learn_out):
    cue_size, cont = 3, 6
    n_cue = cue_size if model == "ca3" else 2
    cue_of = (lambda c: [c]) if model == "ca3" else \
        (lambda c: [b for b in range(n_cue) if (c >> b) & 1])
    bits = lambda *xs: [n_cue + x for x in xs]                          # noqa: E731
    ops = [(0, 1, [0, 1, 5], 3), (7, 2, [2, 4], 3),     # learn, learn (7 steps each)
           (14, 1, [], 1), (20, 2, [], 1),              # recall, recall (6 steps each)
           (26, 1, [3], 3), (33, 1, [], 1)]              # relearn cue 1 (forget), recall
    out, _ = run_model(sim, model, cue_size, cont, ops, 45.0)
    for start, cue, content in ((0, 1, (0, 1, 5)), (7, 2, (2, 4))):
        for lag in learn_out:
            assert set(bits(*content)) <= set(out[float(start + lag)])
    for start, cue, content in ((14, 1, (0, 1, 5)), (20, 2, (2, 4)), (33, 1, (3,))):
        assert out[float(start + cue_out)] == cue_of(cue)
        assert out[float(start + content_out)] == bits(*content)
    assert float(33 + content_out + 1) not in out                     # nothing else after


def test_ca3_content_addressable_matches_the_native_ca3_network_spike_for_spike():
    """Two independent descriptions of one network: sPyMem's PyNN code on spikemem.pynn and
    spikemem.models.ca3_network, same inputs, identical OUT spikes."""
    rng = np.random.default_rng(7)
    cue, cont = 4, 8
    ops, t = [], 0
    for _ in range(8):
        c = int(rng.integers(cue))
        kind = rng.integers(3)
        if kind == 0:
            ops.append((t, c, sorted(rng.choice(cont, 3, replace=False).tolist()), 3))
            t += 7
        elif kind == 1:
            ops.append((t, c, [], 1))
            t += 6
        else:
            ops.append((t, None, [int(rng.integers(cont))], 1))
            t += 6
    out, _ = run_model(sim, "CA3_content_addressable", cue, cont, ops, t + 10.0)
    net, _ = build_network(cue, cont)
    native = sm.build(net)
    times = [float(s + h) for s, c, b, hold in ops for h in range(hold)
             for _ in ([] if c is None else [c]) + b]
    ids = [i for s, c, b, hold in ops for h in range(hold)
           for i in ([] if c is None else [c]) + [cue + x for x in b]]
    native.add_spikes("IN", np.array(times), np.array(ids))
    native.run(t + 10.0)
    nt, ni = native.recording.spikes("OUT")
    expected = {}
    for tt, ii in zip(nt.tolist(), ni.tolist()):
        expected.setdefault(tt, []).append(ii)
    assert sum(map(len, out.values())) > 20
    assert out == {k: sorted(v) for k, v in expected.items()}


def test_readme_example_runs_and_recalls_as_it_says():
    """README, "Run a PyNN or sPyNNaker script on spikemem": learn at 0-2 ms, recall at 10 ms,
    cue out at 15 ms and bits {0, 1, 2, 9} (neurons 5, 6, 7, 14) at 16 ms."""
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split("## Run a PyNN or sPyNNaker script on spikemem", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    spikes = sorted((float(t), int(st.annotations["source_index"]))
                    for st in scope["block"].segments[0].spiketrains for t in st.magnitude)
    assert [s for s in spikes if s[0] >= 10] == [(15.0, 0)] + [(16.0, i) for i in (5, 6, 7, 14)]


@pytest.mark.parametrize("backend", ["nengo", pytest.param("brian2", marks=[
    pytest.mark.brian2, pytest.mark.slow])])
def test_ca3_content_addressable_gives_the_same_output_on_other_backends(backend):
    ops = [(0, 0, [0, 1, 2, 9], 3), (7, 1, [3, 4], 3), (14, 0, [], 1), (20, 1, [], 1),
           (26, None, [9], 1), (32, 0, [5], 3), (39, 0, [], 1)]
    reference, _ = run_model(sim, "CA3_content_addressable", 5, 10, ops, 50.0)
    out, _ = run_model(sim, "CA3_content_addressable", 5, 10, ops, 50.0, backend=backend)
    assert out == reference and len(reference) > 10
