"""Timed training compiles without the run's shared JAX compilation cache
(``fixtures.backends.uncached_compilation``), and the cache works again afterwards."""

import os
from types import SimpleNamespace

import pytest

jax = pytest.importorskip("jax")


def namespace_on(backend: str):
    """What ``uncached_compilation`` reads of a Keras namespace: ``keras.backend.backend()``."""
    return SimpleNamespace(backend=SimpleNamespace(backend=lambda: backend))


@pytest.fixture
def run_cache(tmp_path):
    """JAX's persistent cache pointed at a folder, as the plugin does for a JAX run; put back."""
    from jax.experimental.compilation_cache import compilation_cache

    options = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs",
               "jax_persistent_cache_min_entry_size_bytes")
    before = {name: getattr(jax.config, name) for name in options}
    for name, value in zip(options, (str(tmp_path), 0, 0)):
        jax.config.update(name, value)
    compilation_cache.reset_cache()
    yield tmp_path
    for name, value in before.items():
        jax.config.update(name, value)
    compilation_cache.reset_cache()


def compile_new_program(scale: float) -> None:
    jax.jit(lambda x: jax.numpy.sin(x) * scale + 1.0)(jax.numpy.ones(3)).block_until_ready()


def test_no_program_is_cached_inside_and_caching_resumes_after(run_cache):
    from fixtures.backends import uncached_compilation

    compile_new_program(2.0)
    cached = len(os.listdir(run_cache))
    assert cached > 0, "the cache took no program: the test cannot tell on from off"
    with uncached_compilation(namespace_on("jax")):
        compile_new_program(3.0)
        assert len(os.listdir(run_cache)) == cached
    compile_new_program(5.0)
    assert len(os.listdir(run_cache)) > cached


def test_other_backends_are_left_alone(run_cache):
    from fixtures.backends import uncached_compilation

    with uncached_compilation(namespace_on("tensorflow")):
        compile_new_program(7.0)
    assert len(os.listdir(run_cache)) > 0
