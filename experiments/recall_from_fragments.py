"""Flagship: the spiking CA3 memory recalls whole memories from fragments (``make demo``).

An 8-cue x 16-bit CA3 memory learns six memories, some orthogonal and some overlapping. Each
memory is then recalled from one of its bits, from half of its bits and from its cue; every
answer is scored against what should come back (every memory holding a presented bit, each
with its full content). Writes ``recording.h5``, ``summary.json``, ``summary.csv`` and
``raster.png`` (every population, the paper's layout) to ``--out`` and prints a table.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from spikemem.experiments._common import experiment_parser, finish, write_json
from spikemem.io import atomic_path
from spikemem.models.ca3_cam import CA3Memory
from spikemem.models.ca3_metrics import expected_from_fragment, summarise, trial_scores
from spikemem.progress import stages

__all__ = ["run", "main", "MEMORIES"]

NAME = "recall_from_fragments"

#: Cue -> content. 0 and 1 are orthogonal to everything; 2-5 overlap (bits 10, 12, 14).
MEMORIES = {0: [0, 1, 2, 3], 1: [4, 5, 6, 7], 2: [8, 9, 10], 3: [10, 11, 12],
            4: [12, 13, 14], 5: [14, 15]}


def _probes(memories: dict) -> list:
    out = []
    for cue, content in memories.items():
        out.append((cue, "1 bit", {"fragment": [content[0]]}))
        out.append((cue, "half", {"fragment": content[-((len(content) + 1) // 2):]}))
        out.append((cue, "cue", {"cue": cue}))
    return out


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba", cues: int = 8,
        bits: int = 16, memories: dict = None) -> dict:
    """Learn `memories`, recall each from 1 bit, half its bits and its cue, and score.

    Parameters
    ----------
    seed : int
        Backend seed (the network and protocol are deterministic).
    out : str or path
        Output folder.
    backend : str
        spikemem backend.
    cues, bits : int
        Memory size.
    memories : dict, optional
        ``{cue: content bits}``; default `MEMORIES`.

    Returns
    -------
    dict
        Summary: per-probe rows and aggregate scores (`spikemem.models.ca3_metrics.summarise`).
    """
    memories = dict(MEMORIES if memories is None else memories)
    out = Path(out)
    mem = CA3Memory(cues, bits, backend=backend, seed=seed)
    for cue, content in memories.items():
        mem.learn(cue, content)
    rows, trials = [], []
    for cue, probe, kwargs in stages(_probes(memories), NAME, describe=lambda p: f"cue {p[0]}"):
        got = mem.recall(**kwargs)
        ops = got.details             # the decoded protocol operations of this recall
        if "cue" in kwargs:
            expected = {cue: memories[cue]}
            latency = ops[0].latency
            shown = f"cue {cue}"
        else:
            expected = expected_from_fragment(memories, kwargs["fragment"])
            lat = [r.latency for r in ops if r.operation.kind == "recall_content" and r.latency]
            latency = min(lat) if lat else None
            shown = f"bits {kwargs['fragment']}"
        score = trial_scores(expected, got, latency)
        trials.append(score)
        rows.append({"memory": cue, "probe": probe, "presented": shown,
                     "expected": {int(k): v for k, v in expected.items()},
                     "recalled": {int(k): v for k, v in got.items()},
                     "exact": score["exact"], "precision": score["precision"],
                     "recall": score["recall"], "false_cues": score["false_cues"],
                     "latency_steps": latency,
                     "steps_to_full_answer": (ops[-1].start + ops[-1].latency - ops[0].start)
                     if ops and ops[-1].latency is not None else None})
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "cues": cues, "bits": bits,
               "memories": {int(k): v for k, v in memories.items()},
               "scores": summarise(trials), "rows": rows,
               "simulated_ms": mem.sim.t}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "summary.json", summary)
    with atomic_path(out / "summary.csv") as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["memory", "probe", "presented", "recalled", "exact", "precision",
                        "recall", "false_cues", "latency_steps", "steps_to_full_answer"])
            for r in rows:
                w.writerow([r["memory"], r["probe"], r["presented"], json.dumps(r["recalled"]),
                            r["exact"], r["precision"], r["recall"], r["false_cues"],
                            r["latency_steps"], r["steps_to_full_answer"]])
    mem.raster(out / "raster.png", title="CA3 memory: learn 6 memories, recall from 1 bit, "
               "half the bits, the cue")
    mem.recording.save(out / "recording.h5")
    mem.raster(out / "raster_first_ops.png", t_range=(0, 120),
               title="CA3 memory: the first operations")
    return summary


def _table(summary: dict) -> str:
    lines = [f"{'mem':>3} {'probe':<6} {'presented':<18} {'exact':<5} {'lat':>3}  recalled"]
    for r in summary["rows"]:
        lines.append(f"{r['memory']:>3} {r['probe']:<6} {r['presented']:<18} "
                     f"{str(r['exact']):<5} {str(r['latency_steps']):>3}  {r['recalled']}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = experiment_parser(NAME, __doc__)
    args = parser.parse_args(argv)
    summary = run(seed=args.seed, out=args.out, backend=args.backend)
    s = summary["scores"]
    print(_table(summary))
    print(f"{NAME}: {s['exact_fraction'] * 100:.0f}% exact recalls over {s['n']} probes "
          f"(precision {s['precision']:.2f}, recall {s['recall']:.2f}, false cues "
          f"{s['false_cues']}, latency {s['latency_min']}-{s['latency_max']} steps); "
          f"files in {args.out}")
    finish(args, summary)
    return summary


if __name__ == "__main__":
    main()
