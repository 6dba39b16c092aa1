"""Checks of ``distribute.*``: a stateful model under data-parallel distribution over two devices.

The number of devices is fixed when the backend starts, so each case runs the model in a fresh
Python process (``two_device_run``, sent as source to ``python -c``): TensorFlow's
MirroredStrategy over two logical CPU devices, or ``keras.distribution.DataParallel`` over two
JAX host devices (``--xla_force_host_platform_device_count=2``). That process loads the
implementation under test by its ``--impl`` spec through this checkout's harness and prints what it
observed as JSON; the verdict is decided here, against the NumPy cells. The same process runs an
undistributed model with the same weights through the same entry point: where that one does
not carry the state either, the distribution is not what fails (``carry.index-i``).
"""

import inspect
import json
import os
import subprocess
import sys

import numpy as np

from fixtures import reference_cells, rnn

DEVICES = 2
BATCH_SIZE = 4  # global: two samples on each device
BATCHES = 3
# The checkout, which the fresh process imports the harness and the model helpers from.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Backends with no data-parallel path for a Keras model in one process: the documented reason.
UNDOCUMENTED = {
    "torch": "Keras documents no in-process data parallelism on torch: keras.distribution "
             "supports only the JAX backend, and Keras's torch multi-GPU guide runs one process "
             "per device with torch's DistributedDataParallel",
}
TIMEOUT_S = 240


def two_device_run(spec, project_root, backend, cell, entry_point, declared_batch_size, chunks,
                   devices):
    """In a fresh process: the model declared with ``declared_batch_size`` under a data-parallel
    distribution over ``devices`` devices, and an undistributed twin with the same weights, each
    fed ``chunks`` through ``entry_point``; prints one line ``RESULT <json>``.

    ``predict``: the outputs of every batch. ``fit`` (with a zero learning rate): fit on every
    batch but the last, then predict the last, whose outputs start from the state fit left.
    """
    import contextlib
    import json
    import re
    import sys

    import numpy as np

    sys.path.insert(0, project_root)
    if backend == "tensorflow":
        # Before anything starts TensorFlow's runtime: the logical devices are fixed then.
        import tensorflow as tf
        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0],
            [tf.config.LogicalDeviceConfiguration() for _ in range(devices)])
    from fixtures import rnn
    from harness.implementations import resolve

    implementation = resolve(spec)
    keras = implementation.load()
    chunks = [np.asarray(chunk, "float32") for chunk in chunks]
    global_batch = chunks[0].shape[0]
    report = {}

    def run(model):
        if entry_point == "predict":
            outputs = model.predict(rnn.as_samples(chunks), batch_size=global_batch, verbose=0)
        else:
            samples = rnn.as_samples(chunks[:-1])
            targets = np.zeros((samples.shape[0], rnn.TIMESTEPS, rnn.UNITS), "float32")
            model.fit(samples, targets, batch_size=global_batch, shuffle=False, epochs=1,
                      verbose=0)
            outputs = model.predict(chunks[-1], batch_size=global_batch, verbose=0)
        return np.asarray(implementation.to_numpy(outputs)).tolist()

    def attempt(name, action):
        try:
            report[name] = action()
        except Exception as error:
            # Keras's call errors: a generic first line, the reason in bold, the arguments.
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split("Arguments received")[0]
            reason = " ".join(line.strip() for line in text.splitlines()
                              if line.strip() and not line.startswith("Exception encountered"))
            report[f"{name}_error"] = f"{type(error).__name__}: {reason}"[:2000]

    keras.utils.set_random_seed(1234)
    undistributed = rnn.stateful_model(keras, cell, global_batch)
    report["weights"] = [w.tolist() for w in undistributed.get_weights()]
    attempt("undistributed", lambda: run(undistributed))
    if backend == "tensorflow":
        strategy = tf.distribute.MirroredStrategy([f"/cpu:{k}" for k in range(devices)])
        report["devices"] = strategy.num_replicas_in_sync
        scope = strategy.scope()
    else:
        import jax
        report["devices"] = len(jax.devices())
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        scope = contextlib.nullcontext()

    def distributed_run():
        with scope:
            model = rnn.stateful_model(keras, cell, declared_batch_size)
        model.set_weights([np.asarray(w, "float32") for w in report["weights"]])
        return run(model)

    attempt("distributed", distributed_run)
    print("RESULT " + json.dumps(report))


def run_in_fresh_process(spec, backend, cell, entry_point, declared_batch_size, chunks):
    """``two_device_run`` in a fresh Python process; what it reported."""
    program = "\n".join([
        inspect.getsource(two_device_run),
        f"two_device_run({spec!r}, {PROJECT_ROOT!r}, {backend!r}, {cell!r}, {entry_point!r}, "
        f"{declared_batch_size!r}, {[chunk.tolist() for chunk in chunks]!r}, {DEVICES!r})",
    ])
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if backend == "jax":
        environment["XLA_FLAGS"] = (environment.get("XLA_FLAGS", "")
                                    + f" --xla_force_host_platform_device_count={DEVICES}")
    finished = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                              env=environment, cwd=PROJECT_ROOT, timeout=TIMEOUT_S)
    lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(f"the two-device process reported nothing (exit {finished.returncode})"
                           f":\n{finished.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def carry(check, rng, spec, backend, cell, entry_point, per_replica_batch=False):
    """Sample i's state reaches sample i of the next batch under a two-device distribution, as the
    NumPy cells carry it; the model declared with the global batch size (or, as the workaround
    does, with the batch size each device sees)."""
    declared = BATCH_SIZE // DEVICES if per_replica_batch else BATCH_SIZE
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES)
    observed = run_in_fresh_process(spec, backend, cell, entry_point, declared, chunks)
    if observed.get("devices") != DEVICES:
        raise RuntimeError(f"the fresh process saw {observed.get('devices')} devices, not "
                           f"{DEVICES}: the distribution was not set up")
    weights = [np.asarray(w, "float32") for w in observed["weights"]]
    sequence, _ = reference_cells.run_sequence(cell, weights, rnn.as_streams(chunks))
    per_batch = np.split(sequence, BATCHES, axis=1)
    expected = rnn.as_samples(per_batch if entry_point == "predict" else per_batch[-1:])
    what = (f"{entry_point} of batches of {BATCH_SIZE} over {DEVICES} devices, the model declared "
            f"with batch size {declared}")
    undistributed = np.asarray(observed.get("undistributed", []))
    check.precondition(
        undistributed.shape == expected.shape
        and np.max(np.abs(undistributed - expected), initial=0.0) <= 1e-4,
        f"the same model undistributed carrying the state through {entry_point}",
        observed.get("undistributed_error") or "its outputs differ from the NumPy cells",
        failing="carry.index-i")
    if "distributed_error" in observed:
        raise RuntimeError(f"{what} raised {observed['distributed_error']}")
    check.close(f"outputs of {what}", observed["distributed"], expected,
                expected_what="the NumPy reference carried over the batches")
