"""Claims ``export.*``: a stateful model exported for serving (SavedModel, TFLite, ONNX).

The checks are in suites/checks/export.py; this module says which cases run, and skips a case
whose path the Keras under test does not document or whose optional package (the ``export``
extra) is missing."""

import pytest

from fixtures import rnn
from suites.checks import export

# An export traces the model and writes it (1-5 s a case): LSTM in the not-slow suite, every
# cell in the full suite.
CELLS = [pytest.param(cell, marks=[] if cell == "LSTM" else [pytest.mark.slow])
         for cell in rnn.CELLS]


@pytest.mark.claim("export.saved-model.carry")
@pytest.mark.parametrize("cell", CELLS)
def test_saved_model_carry(run_check, documented, cell):
    documented("saved-model")
    run_check(export.saved_model_carry, cell=cell)


@pytest.mark.claim("export.saved-model.reset")
@pytest.mark.parametrize("cell", CELLS)
def test_saved_model_reset(run_check, documented, cell):
    documented("saved-model")
    run_check(export.saved_model_reset, cell=cell)


@pytest.mark.claim("export.tflite.carry")
@pytest.mark.parametrize("cell", CELLS)
def test_tflite_carry(run_check, documented, cell):
    documented("tflite")
    run_check(export.tflite_carry, cell=cell)


@pytest.mark.claim("export.onnx.carry")
@pytest.mark.parametrize("cell", CELLS)
def test_onnx_carry(run_check, documented, cell):
    documented("onnx")
    run_check(export.onnx_carry, cell=cell)
