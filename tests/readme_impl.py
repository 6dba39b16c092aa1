"""An implementation written from the README's sentence alone, not a subclass of
``KerasImplementation``: "any object with ``name``, ``load()`` (import and return the Keras
namespace), ``versions()`` (``keras``, ``backend``, ``backend_version``) and ``to_numpy(x)``".

    pytest suites/ --impl tests.readme_impl:IMPLEMENTATION
"""

import os

import numpy as np


class ReadmeKeras:
    name = "readme-keras"

    def load(self):
        os.environ["KERAS_BACKEND"] = "tensorflow"
        import keras

        return keras

    def versions(self):
        import keras
        import tensorflow

        return {"keras": keras.__version__, "backend": "tensorflow",
                "backend_version": tensorflow.__version__}

    def to_numpy(self, x):
        import keras

        return np.asarray(keras.ops.convert_to_numpy(x))


IMPLEMENTATION = ReadmeKeras()
