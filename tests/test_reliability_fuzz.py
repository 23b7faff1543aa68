"""Hypothesis fuzz suite (issue 12): hostile values into every IR constructor, the loaders
and the session inputs either work or raise spikemem's own errors, never anything else; a
batch of hostile networks is built and run in a subprocess that must not die of a signal.

A few examples run by default; ``pytest -m slow`` runs many (``make test-slow``).
"""
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spikemem as sm
from spikemem.errors import FileFormatError, SpikememError, ValidationError

FEW = settings(max_examples=25, deadline=None, derandomize=True,
               suppress_health_check=list(HealthCheck))       # deterministic in `make test`
MANY = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))

HOSTILE_SCALARS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-2 ** 70, 2 ** 70),
    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e308, -1e308, 2 ** 63, 2 ** 64 - 1, True, False,
                     None, "3", "", b"1", [], [1.0], {}, np.float32(2.5), np.int64(3),
                     np.uint64(2 ** 64 - 1), np.bool_(True), float("nan"), object()]))
HOSTILE_ARRAYS = st.one_of(
    st.lists(HOSTILE_SCALARS, max_size=4),
    st.sampled_from([np.array([2 ** 63], dtype=object), np.array([2 ** 64 - 1], np.uint64),
                     np.array([0.5, 1.0]), np.array([True, False]), np.array(["1", "2"]),
                     np.zeros((2, 2)), np.array([np.nan]), np.array([-1]),
                     np.array([10 ** 12]), np.arange(3)]),
    HOSTILE_SCALARS)


def _accepts_or_refuses(make):
    """Call `make`; anything but a value or a SpikememError is a failure."""
    try:
        return make()
    except SpikememError:
        return None


CELL_FIELDS = ["cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "v_rest", "v_reset",
               "v_thresh", "i_offset"]
STDP_FIELDS = ["tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max",
               "weight_dependence", "weight", "delay"]
CONS_FIELDS = STDP_FIELDS + ["tau_decay", "w_base", "tau_tag", "tag_threshold",
                             "transfer_fraction", "w_slow_max", "slow_weight"]


def _constructor_cases():
    a = sm.Population(3, sm.IF_curr_exp(), label="a")
    return {
        "IF_curr_exp": (sm.IF_curr_exp, CELL_FIELDS, HOSTILE_SCALARS),
        "StaticSynapse": (sm.StaticSynapse, ["weight", "delay"], HOSTILE_SCALARS),
        "STDP": (sm.STDP, STDP_FIELDS, HOSTILE_SCALARS),
        "ConsolidatingSTDP": (sm.ConsolidatingSTDP, CONS_FIELDS, HOSTILE_SCALARS),
        "FixedProbability": (lambda **k: sm.FixedProbability(**{"p_connect": 0.5, "seed": 0,
                                                                **k}),
                             ["p_connect", "seed", "allow_self_connections"], HOSTILE_SCALARS),
        "AllToAll": (sm.AllToAll, ["allow_self_connections"], HOSTILE_SCALARS),
        "FromList": (lambda **k: sm.FromList(**{"pre": [0], "post": [0], **k}),
                     ["pre", "post", "weight", "delay"], HOSTILE_ARRAYS),
        "Population": (lambda **k: sm.Population(**{"size": 3, "celltype": sm.IF_curr_exp(),
                                                    **k}),
                       ["size", "celltype", "label", "initial_v", "record"], HOSTILE_ARRAYS),
        "SpikeSourceArray": (lambda **k: sm.SpikeSourceArray(**{"size": 3, **k}),
                             ["spike_times", "size", "times", "ids", "label"], HOSTILE_ARRAYS),
        "SpikeSourcePoisson": (lambda **k: sm.SpikeSourcePoisson(**{"size": 3, "rate": 5.0,
                                                                    "seed": 0, **k}),
                               ["size", "rate", "seed", "start", "duration", "label"],
                               HOSTILE_SCALARS),
        "Projection": (lambda **k: sm.Projection(**{"pre": a, "post": a,
                                                    "connector": sm.OneToOne(), **k}),
                       ["pre", "post", "connector", "synapse", "receptor", "label",
                        "record_weights", "pre_idx", "post_idx", "weight", "delay"],
                       HOSTILE_ARRAYS),
        "Network": (sm.Network, ["dt", "label"], HOSTILE_SCALARS),
        "PoissonInput": (lambda **k: sm.PoissonInput(**{"target": a, "n_inputs": 100,
                                                         "rate": 8.0, "weight": 0.1,
                                                         "seed": 0, **k}),
                         ["target", "n_inputs", "rate", "weight", "seed", "receptor",
                          "start", "duration", "label"], HOSTILE_SCALARS),
    }


CASES = _constructor_cases()


def _constructor_property(name):
    make, fields, values = CASES[name]

    @given(st.dictionaries(st.sampled_from(fields), values, min_size=1, max_size=3))
    def prop(kwargs):
        obj = _accepts_or_refuses(lambda: make(**kwargs))
        if obj is not None and hasattr(obj, "to_dict"):
            for v in obj.to_dict().values():
                if isinstance(v, float):
                    assert not math.isnan(v) or name in ("Projection",)
    return prop


@pytest.mark.parametrize("name", sorted(CASES))
def test_ir_constructors_accept_or_raise_spikemem_errors(name):
    FEW(_constructor_property(name))()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_ir_constructors_many_examples(name):
    MANY(_constructor_property(name))()


def _base_network():
    net = sm.Network(dt=1.0, label="fuzz")
    a = net.add(sm.Population(4, sm.IF_curr_exp(i_offset=0.5), label="a", record=("spikes", "v")))
    s = net.add(sm.SpikeSourceArray([[1.0], [2.0, 3.0], [], [4.0]], label="in"))
    p = net.add(sm.SpikeSourcePoisson(size=2, rate=50.0, seed=1, label="poi"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(3.0, delay=2.0), label="ff"))
    net.add(sm.Projection(p, a[1:3], sm.AllToAll(), sm.StaticSynapse(1.0), label="pv"))
    net.add(sm.Projection(a, a, sm.FixedProbability(0.5, seed=0), sm.STDP(weight=0.2),
                          label="rec"))
    net.add(sm.PoissonInput(a[1:4], n_inputs=50, rate=20.0, weight=0.3, seed=5,
                            receptor="inhibitory", start=1.0, duration=3.0, label="bg"))
    return net


def _paths(tree, prefix=()):
    """Every leaf path of a nested dict/list."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _paths(v, prefix + (i,))
    else:
        yield prefix


def _set(tree, path, value):
    """Replace (or delete) the leaf at `path`; skipped if an earlier mutation removed it."""
    try:
        for k in path[:-1]:
            tree = tree[k]
        if value is _DELETE and isinstance(tree, dict):
            tree.pop(path[-1], None)
        elif value is not _DELETE:
            tree[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        pass


_DELETE = object()
NET_PATHS = list(_paths(_base_network().to_dict()))


def _mutations(paths):
    return st.lists(st.tuples(st.sampled_from(paths),
                              st.one_of(HOSTILE_ARRAYS, st.just(_DELETE))), min_size=1,
                    max_size=3)


def _from_dict_property():
    @given(_mutations(NET_PATHS))
    def prop(mutations):
        d = _base_network().to_dict()
        for path, value in mutations:
            _set(d, path, value)
        net = _accepts_or_refuses(lambda: sm.Network.from_dict(d))
        if net is not None:
            _accepts_or_refuses(lambda: sm.build(net, backend="numba").run(3.0))
    return prop


def test_network_from_dict_with_hostile_entries():
    FEW(_from_dict_property())()


@pytest.mark.slow
def test_network_from_dict_many_examples():
    MANY(_from_dict_property())()


def _recording():
    sim = sm.build(_base_network(), backend="numba")
    sim.run(10.0)
    return sim.recording


REC_PATHS = list(_paths(_recording().to_dict()))


def _recording_property(tmp_path, ref):
    @given(_mutations(REC_PATHS), st.booleans())
    def prop(mutations, via_file):
        d = ref.to_dict()
        d = {k: (dict(v) if isinstance(v, dict) else v) for k, v in d.items()}
        d = _deepcopy(d)
        for path, value in mutations:
            _set(d, path, value)
        if via_file:
            from spikemem.io import save_tree
            try:
                save_tree(tmp_path / "r.h5", "recording", d)
            except (TypeError, ValueError):
                return                       # not storable in HDF5 at all
            try:
                sm.Recording.load(tmp_path / "r.h5")
            except FileFormatError:
                pass
        else:
            _accepts_or_refuses(lambda: sm.Recording.from_dict(d))
    return prop


def _deepcopy(tree):
    if isinstance(tree, dict):
        return {k: _deepcopy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_deepcopy(v) for v in tree]
    if isinstance(tree, np.ndarray):
        return tree.copy()
    return tree


def test_recording_from_dict_and_load_with_hostile_entries(tmp_path):
    FEW(_recording_property(tmp_path, _recording()))()


@pytest.mark.slow
def test_recording_many_examples(tmp_path):
    MANY(_recording_property(tmp_path, _recording()))()


def _session_property():
    from spikemem.models.ca3_cam import CA3Memory
    mem = CA3Memory(cues=3, bits=6, backend="numba", progress=False)

    @given(st.sampled_from(["learn", "recall_cue", "recall_fragment", "run_gap", "new"]),
           HOSTILE_ARRAYS, HOSTILE_ARRAYS)
    def prop(verb, x, y):
        if verb == "learn":
            _accepts_or_refuses(lambda: mem.learn(x, y))
        elif verb == "recall_cue":
            _accepts_or_refuses(lambda: mem.recall(cue=x))
        elif verb == "recall_fragment":
            _accepts_or_refuses(lambda: mem.recall(fragment=x))
        elif verb == "run_gap":
            _accepts_or_refuses(lambda: mem.run([], gap=x))
        else:
            _accepts_or_refuses(lambda: CA3Memory(cues=x, bits=y, gap=6))
    return prop


def test_session_inputs_accept_or_raise_spikemem_errors():
    FEW(_session_property())()


def _engram_and_sparsey_property():
    from spikemem.models.engram import EngramNetwork
    from spikemem.models.sparsey import SparseyMac
    eng = EngramNetwork(n=40, k=6, seed=0)
    mac = SparseyMac(n_inputs=16, Q=4, K=4, seed=0)

    @given(st.sampled_from(["store", "cue", "advance", "recall", "learn", "encode", "new"]),
           HOSTILE_ARRAYS, HOSTILE_ARRAYS)
    def prop(verb, x, y):
        calls = {"store": lambda: eng.store(x), "cue": lambda: eng.cue(x, hold=y),
                 "advance": lambda: eng.advance(x), "recall": lambda: eng.recall(x),
                 "learn": lambda: mac.learn(x), "encode": lambda: mac.encode(x),
                 "new": lambda: EngramNetwork(n=x, k=y)}
        _accepts_or_refuses(calls[verb])
    return prop


def test_engram_and_sparsey_inputs_accept_or_raise_spikemem_errors():
    FEW(_engram_and_sparsey_property())()


@pytest.mark.slow
def test_engram_and_sparsey_inputs_many_examples():
    MANY(_engram_and_sparsey_property())()


@pytest.mark.slow
def test_session_inputs_many_examples():
    MANY(_session_property())()


_HOSTILE_BATCH = textwrap.dedent("""
    import sys
    import numpy as np
    import spikemem as sm
    from spikemem.errors import SpikememError
    rng = np.random.default_rng(int(sys.argv[1]))
    bad = [10 ** 12, -1, 2 ** 63, 2 ** 64 - 1, 1e20, float("nan"), 0.5, 5, 4, 3]
    for case in range(int(sys.argv[2])):
        net = sm.Network(dt=1.0)
        a = net.add(sm.Population(4, sm.IF_curr_exp(), label="a"))
        d = net.to_dict()
        n = int(rng.integers(1, 5))
        pre = rng.integers(0, 4, n).astype(object)
        post = rng.integers(0, 4, n).astype(object)
        delay = np.ones(n, dtype=object)
        for arr in (pre, post, delay):
            if rng.random() < 0.5:
                arr[rng.integers(n)] = bad[rng.integers(len(bad))]
        d["projections"] = [{"type": "Projection", "pre": {"label": "a"},
                             "post": {"label": "a"}, "connector": {"type": "OneToOne"},
                             "synapse": {"type": "StaticSynapse", "weight": 1.0,
                                         "delay": None},
                             "receptor": "excitatory", "label": "p",
                             "record_weights": True, "pre_idx": list(pre),
                             "post_idx": list(post), "weight": [1.0] * n,
                             "delay": [float(x) if isinstance(x, float) else x for x in delay]}]
        try:
            sim = sm.build(sm.Network.from_dict(d))
            sim.add_spikes  # noqa: B018
            sim.run(5.0)
        except SpikememError:
            pass
    print("survived")
""")


@pytest.mark.parametrize("n_cases", [40, pytest.param(2000, marks=pytest.mark.slow)])
def test_hostile_network_files_never_kill_the_process(n_cases):
    proc = subprocess.run([sys.executable, "-c", _HOSTILE_BATCH, "7", str(n_cases)],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}"
    assert proc.returncode == 0 and "survived" in proc.stdout, proc.stderr[-2000:]


_FLIPPED_FILES = textwrap.dedent("""
    import sys
    import numpy as np
    import spikemem as sm
    from spikemem.errors import SpikememError
    path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    data = open(path, "rb").read()
    rng = np.random.default_rng(3)
    for pos in rng.integers(512, len(data), n):   # inside the HDF5 part
        flipped = bytearray(data)
        flipped[pos] ^= 1 << int(rng.integers(8))
        open(out, "wb").write(bytes(flipped))
        try:
            sm.build(sm.Network.load(out)).run(5.0)
        except SpikememError:
            pass
    print("survived")
""")


@pytest.mark.parametrize("n_flips", [60, pytest.param(3000, marks=pytest.mark.slow)])
def test_bit_flipped_network_files_never_kill_the_process(tmp_path, n_flips):
    _base_network().save(tmp_path / "n.h5")
    proc = subprocess.run([sys.executable, "-c", _FLIPPED_FILES, str(tmp_path / "n.h5"),
                           str(n_flips), str(tmp_path / "f.h5")],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}"
    assert proc.returncode == 0 and "survived" in proc.stdout, proc.stderr[-2000:]
