"""benchmarks/bench_reproduce.py: one experiment timed by part; the parts and "other" are the whole wall time."""

import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    if "bench_reproduce" in sys.modules:
        return sys.modules["bench_reproduce"]
    spec = importlib.util.spec_from_file_location("bench_reproduce", ROOT / "benchmarks" / "bench_reproduce.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_reproduce"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_experiment_has_a_bench_budget():
    from labkit.runs.reproduce import experiments

    bench = _bench()
    tables = {name for name in experiments() if not name.endswith("-train")}
    assert tables <= set(bench.EXPERIMENTS), tables - set(bench.EXPERIMENTS)


def test_outermost_part_owns_the_time_and_store_io_is_taken_out():
    """Attribution rules on stand-ins: a fit inside tuning is tuning; a write inside training is store I/O."""
    import torch

    bench = _bench()
    rec = bench.Recorder()
    rec.counter = bench.flop_counter()

    def fit():
        time.sleep(0.02)

    def write():
        time.sleep(0.03)

    def train():
        torch.ones(64, 64) @ torch.ones(64, 64)  # 2 * 64^3 FLOPs
        rec.call("store I/O", "w", write, (), {})
        time.sleep(0.02)

    with rec.counter:
        rec.call("tuning", "t", lambda: [rec.call("classifier fits", "f", fit, (), {}) for _ in range(2)], (), {})
        rec.call("generator training", "g", train, (), {})
    assert rec.calls == {"t": 1, "f": 2, "g": 1, "w": 1}
    assert rec.seconds["classifier fits"] == 0 and rec.seconds["tuning"] >= 0.04
    assert 0.03 <= rec.seconds["store I/O"] < rec.seconds["generator training"] + 0.03
    assert rec.flops["generator training"] == 2 * 64**3 and rec.flops["store I/O"] == 0


@pytest.mark.filterwarnings("ignore")
def test_quick_run_prints_a_table_that_adds_up(tmp_path, capsys):
    bench = _bench()
    out = tmp_path / "bench.json"
    assert bench.main(["sahu-table1", "--quick", "--no-flops", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(\w[\w /]*?)\s+(-?[\d.]+)\s+(-?[\d.]+)%\s+(-?[\d.]+)\s+(-?[\d.]+)%", line)
        if m:
            rows[m.group(1)] = [float(m.group(i)) for i in (2, 3, 4, 5)]
    parts = [*bench.PARTS, bench.OTHER]
    assert set(parts) <= set(rows) and "total" in rows
    wall, wall_pct, cpu, cpu_pct = rows["total"]
    assert wall_pct == pytest.approx(100, abs=0.2) and cpu_pct == pytest.approx(100, abs=0.2)
    assert sum(rows[p][1] for p in parts) == pytest.approx(100, abs=0.5)
    assert sum(rows[p][0] for p in parts) == pytest.approx(wall, abs=0.02 * len(parts))
    assert all(rows[p][0] >= 0 for p in bench.PARTS)
    assert rows["generator training"][0] > 0 and rows["classifier fits"][0] > 0 and rows["features"][0] > 0
    fig = json.loads(out.read_text())
    assert sum(v["share"] for v in fig["parts"].values()) == pytest.approx(1.0)
    assert fig["ceiling_gflops"] > 0 and fig["calls"]["labkit.trainers.sahu.train_aae"] >= 1
