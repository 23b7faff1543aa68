"""Issue 12, case 11: a read-only install without a writable home still caches kernels."""
import io
import os
import subprocess
import sys

import spikemem.numba_cache as numba_cache


def test_read_only_install_and_home_fall_back_to_a_temporary_cache(monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(numba_cache, "_writable",
                        lambda d, real=numba_cache._writable: "spikemem-numba-cache" in str(d)
                        and real(d))
    import numba
    before = numba.config.CACHE_DIR
    try:
        notice = io.StringIO()
        folder = numba_cache.configure(stream=notice)
        assert folder and os.environ["NUMBA_CACHE_DIR"] == folder
        assert numba.config.CACHE_DIR == folder
        assert notice.getvalue().count("\n") == 1 and folder in notice.getvalue()
    finally:
        numba.config.CACHE_DIR = before


def test_writable_install_or_explicit_setting_changes_nothing(monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere")
    assert numba_cache.configure() is None
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setattr(numba_cache, "_writable", lambda d: True)
    assert numba_cache.configure() is None and "NUMBA_CACHE_DIR" not in os.environ


def test_kernels_compile_and_cache_into_the_fallback_folder(tmp_path):
    code = ("import spikemem as sm\n"
            "net = sm.Network(); net.add(sm.Population(2, sm.IF_curr_exp(i_offset=2.0)))\n"
            "sim = sm.build(net); sim.run(30.0); print(sim.recording.n_spikes())\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 0
    assert any(p.suffix == ".nbi" for p in tmp_path.rglob("*"))
