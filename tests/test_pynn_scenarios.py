"""PyNN 0.13's own system scenarios (``test/system/scenarios`` of its source distribution,
unpacked into .cache/ by ``make install-test``) run against spikemem.pynn.

PyNN registers a backend with its scenarios through ``fixtures.run_with_simulators(name)``,
whose ``LazySimulator`` imports ``pyNN.<name>``; here the scenario functions are collected
and called with ``LazySimulator("spikemem")``, ``pyNN.spikemem`` being spikemem.pynn. A
scenario either passes, or is not applicable: it needs a feature spikemem does not have,
and then it must stop with `UnsupportedFeature` naming that feature (docs/pynn.md lists
every scenario).
"""
import importlib
import inspect
import sys
from pathlib import Path

import pytest

import spikemem.pynn
from spikemem.errors import UnsupportedFeature

SYSTEM = Path(__file__).resolve().parents[1] / ".cache" / "pynn-0.13.0" / "test" / "system"

#: scenario -> the feature that makes it not applicable (the refusal must name it)
NOT_APPLICABLE = {
    "test__simulation_control::test_run_until": "IF_cond_exp",
    "test_cell_types::test_EIF_cond_alpha_isfa_ista": "EIF_cond_alpha_isfa_ista",
    "test_cell_types::test_HH_cond_exp": "HH_cond_exp",
    "test_cell_types::test_SpikeSourceGamma": "SpikeSourceGamma",
    "test_cell_types::test_SpikeSourcePoissonRefractory": "SpikeSourcePoissonRefractory",
    "test_cell_types::test_composed_neuron_model_homogeneous_receptors": "AdExp",
    "test_connection_handling::test_connection_access_weight_and_delay": "IF_cond_exp",
    "test_connection_handling::test_connections_attribute": "IF_cond_exp",
    "test_connection_handling::test_issue652": "IF_cond_exp",
    "test_connectors::test_all_to_all_static_no_self": "IF_cond_exp",
    "test_connectors::test_all_to_all_tsodyksmarkram": "IF_cond_exp",
    "test_connectors::test_fixed_number_post_no_replacement": "IF_cond_exp",
    "test_connectors::test_fixed_number_post_with_replacement": "IF_cond_exp",
    "test_connectors::test_fixed_number_post_with_replacement_heterogeneous_parameters":
        "IF_cond_exp",
    "test_connectors::test_fixed_number_pre_no_replacement": "IF_cond_exp",
    "test_connectors::test_fixed_number_pre_with_replacement": "IF_cond_exp",
    "test_connectors::test_fixed_number_pre_with_replacement_heterogeneous_parameters":
        "IF_cond_exp",
    "test_connectors::test_issue309": "IF_cond_exp",
    "test_connectors::test_issue622": "IF_cond_exp",
    "test_electrodes::test_changing_electrode": "DCSource",
    "test_electrodes::test_issue165": "IF_cond_exp",
    "test_electrodes::test_issue321": "IF_curr_alpha",
    "test_electrodes::test_issue437": "IF_curr_alpha",
    "test_electrodes::test_issue442": "IF_curr_alpha",
    "test_electrodes::test_issue445": "ACSource",
    "test_electrodes::test_issue451": "DCSource",
    "test_electrodes::test_issue483": "DCSource",
    "test_electrodes::test_issue487": "DCSource",
    "test_electrodes::test_issue497": "ACSource",
    "test_electrodes::test_issue512": "StepCurrentSource",
    "test_electrodes::test_issue631": "DCSource",
    "test_electrodes::test_issue759": "StepCurrentSource",
    "test_electrodes::test_issue_465_474_630": "ACSource",
    "test_electrodes::test_ticket226": "IF_curr_alpha",
    "test_issue231::test_issue231": "IF_cond_exp",
    "test_issue274::test_issue274": "IF_cond_exp",
    "test_parameter_handling::test_issue302": "IF_cond_exp",
    "test_parameter_handling::test_issue505": "IF_cond_exp",
    "test_parameter_handling::test_set_synaptic_parameters_fully_connected": "IF_cond_exp",
    "test_parameter_handling::test_set_synaptic_parameters_multiply_connected": "IF_cond_exp",
    "test_parameter_handling::test_set_synaptic_parameters_partially_connected":
        "IF_cond_exp",
    "test_procedural_api::test_ticket195": "IF_cond_exp",
    "test_recording::test_issue259": "spike_precision",
    "test_recording::test_issue499": "DCSource",
    "test_recording::test_mix_procedural_and_oo": "IF_cond_exp",
    "test_recording::test_record_vm_and_gsyn_from_assembly": "IF_cond_exp",
    "test_recording::test_record_with_filename": "DCSource",
    "test_recording::test_reset_recording": "IF_cond_exp",
    "test_recording::test_sampling_interval": "IF_cond_exp",
    "test_scenario1::test_scenario1": "IF_cond_exp",
    "test_scenario1::test_scenario1a": "IF_cond_alpha",
    "test_scenario2::test_scenario2": "spike_precision",
    "test_scenario3::test_scenario3": "IF_cond_exp",
    "test_scenario4::test_scenario4": "EIF_cond_exp_isfa_ista",
    "test_scenario5::test_scenario5": "MultiCompartmentNeuron",
    "test_synapse_types::test_simple_stochastic_synapse": "IF_cond_exp",
    "test_ticket166::test_ticket166": "IF_cond_exp",
}


def _scenarios():
    if not SYSTEM.is_dir():
        return []
    sys.path.insert(0, str(SYSTEM))
    out = []
    for path in sorted((SYSTEM / "scenarios").glob("test_*.py")):
        module = importlib.import_module(f"scenarios.{path.stem}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test") and func.__module__ == module.__name__:
                out.append(pytest.param(func, id=f"{path.stem}::{name}"))
    return out


SCENARIOS = _scenarios()


@pytest.fixture(scope="module")
def lazy_spikemem():
    sys.modules.setdefault("pyNN.spikemem", spikemem.pynn)
    from scenarios.fixtures import LazySimulator
    return LazySimulator("spikemem")


@pytest.mark.skipif(not SCENARIOS, reason="PyNN's sdist is not unpacked in .cache/: run "
                                          "`make install-test`")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pynn_scenario(scenario, lazy_spikemem, request):
    key = request.node.callspec.id
    if key.endswith("test_scenario5"):
        pytest.importorskip("morphio", reason="scenario 5 builds multicompartment neurons "
                                              "(needs morphio); not applicable anyway")
    if key in NOT_APPLICABLE:
        with pytest.raises(UnsupportedFeature, match=NOT_APPLICABLE[key]):
            scenario(lazy_spikemem)
    else:
        scenario(lazy_spikemem)


def test_every_scenario_is_classified_in_the_docs():
    if not SCENARIOS:
        pytest.skip("PyNN's sdist is not unpacked in .cache/: run `make install-test`")
    doc = (Path(__file__).resolve().parents[1] / "docs" / "pynn.md").read_text()
    for p in SCENARIOS:
        assert p.id in doc, f"docs/pynn.md does not list scenario {p.id}"
