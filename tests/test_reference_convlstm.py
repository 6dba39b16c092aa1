"""Tests for fixtures/reference_convlstm.py, the NumPy reference of the Keras ConvLSTM layers:
hand-computed values, the LSTM it reduces to with a 1-wide kernel, and a stateless Keras
ConvLSTM1D / ConvLSTM2D (keras-tensorflow) given the same weights."""

import math

import numpy as np
import pytest

from fixtures.reference_cells import lstm_step
from fixtures.reference_convlstm import (
    conv,
    convlstm_step,
    recurrent_gate,
    run_convlstm,
    state_shape,
)
from harness.implementations import load


def a(*rows):
    return np.array(rows, dtype=np.float64)


def close(expected, tolerance=1e-12):
    return pytest.approx(np.asarray(expected, dtype=np.float64), rel=tolerance, abs=tolerance)


def make_weights(kernel_size, channels, filters, rng):
    return [rng.normal(size=(*kernel_size, channels, 4 * filters)),
            rng.normal(size=(*kernel_size, filters, 4 * filters)),
            rng.normal(size=(4 * filters,))]


class TestConv:
    def test_cross_correlation_not_flipped(self):
        """[1, 2, 3] with the kernel [1, -1]: 1 - 2 and 2 - 3 (the kernel is not flipped)."""
        out = conv(a([[1.0], [2.0], [3.0]]), a([[1.0]], [[-1.0]]))

        assert [[[-1.0], [-1.0]]] == out.tolist()

    def test_same_pads_evenly_with_an_odd_kernel(self):
        """'same' with a kernel of 3 pads one zero on each side: [0+1+2, 1+2+3, 2+3+0]."""
        out = conv(a([[1.0], [2.0], [3.0]]), np.ones((3, 1, 1)), padding="same")

        assert [[[3.0], [6.0], [5.0]]] == out.tolist()

    def test_same_pads_the_end_with_an_even_kernel(self):
        """'same' with a kernel of 2 pads one zero after the last step, none before."""
        out = conv(a([[1.0], [2.0], [3.0]]), a([[1.0]], [[10.0]]), padding="same")

        assert [[[21.0], [32.0], [3.0]]] == out.tolist()

    def test_strides_and_dilation(self):
        """Stride 2 keeps every other window; dilation 2 reads x[t] and x[t + 2]."""
        x = a([[1.0], [2.0], [3.0], [4.0], [5.0]])
        kernel = a([[1.0]], [[10.0]])

        assert [[[21.0], [43.0]]] == conv(x, kernel, strides=2).tolist()
        assert [[[31.0], [42.0], [53.0]]] == conv(x, kernel, dilation_rate=2).tolist()

    def test_channels_are_summed_per_filter(self):
        """Two channels, two filters, a 1x1 2-D kernel: a matrix product per position."""
        x = np.arange(8.0).reshape(1, 2, 2, 2)
        kernel = a([1.0, 0.0], [1.0, 2.0]).reshape(1, 1, 2, 2)

        assert close(x @ kernel[0, 0]) == conv(x, kernel)

    def test_wrong_rank_and_padding_rejected(self):
        with pytest.raises(ValueError):
            conv(np.zeros((1, 4, 4, 1)), np.zeros((3, 1, 1)))
        with pytest.raises(ValueError):
            conv(np.zeros((1, 4, 1)), np.zeros((3, 1, 1)), padding="causal")
        with pytest.raises(ValueError):
            conv(np.zeros((1, 2, 1)), np.zeros((3, 1, 1)))


class TestConvLstmStep:
    def test_zero_weights(self):
        """Zero weights open every gate halfway: c' = c/2 and h' = tanh(c/2)/2."""
        h, c = convlstm_step(np.ones((1, 3, 1)), np.ones((1, 3, 2)), np.full((1, 3, 2), 2.0),
                             np.zeros((3, 1, 8)), np.zeros((3, 2, 8)), np.zeros(8), padding="same")

        assert np.ones((1, 3, 2)).tolist() == c.tolist()
        assert close(np.full((1, 3, 2), 0.5 * math.tanh(1.0))) == h

    def test_gate_order(self):
        """Kernel columns are i, f, c, o: pre-activations 1, 2, 3, 4 for x = 1, h = 0, c = 1."""
        h, c = convlstm_step(a([[1.0]]), np.zeros((1, 1, 1)), np.ones((1, 1, 1)),
                             a([[1.0, 2.0, 3.0, 4.0]]).reshape(1, 1, 4), np.zeros((1, 1, 4)))

        c_expected = 1 / (1 + math.exp(-2)) + math.tanh(3) / (1 + math.exp(-1))
        assert close([[[c_expected]]]) == c
        assert close([[[math.tanh(c_expected) / (1 + math.exp(-4))]]]) == h

    def test_recurrent_conv_is_same_padded(self):
        """The recurrent convolution keeps the state's width whatever the input padding: a
        'valid' input conv of 3 on 5 steps gives a state of 3, and h of 3 stays 3."""
        rng = np.random.default_rng(0)
        weights = make_weights((3,), 1, 2, rng)
        x = rng.normal(size=(1, 2, 5, 1))

        outputs, (h, c) = run_convlstm(weights, x)

        assert (1, 2, 3, 2) == outputs.shape
        assert (1, 3, 2) == h.shape == c.shape

    def test_one_wide_kernel_is_an_lstm_per_position(self):
        """With kernel_size 1 every position is an LSTM with the same weights."""
        rng = np.random.default_rng(1)
        kernel, recurrent, bias = make_weights((1, 1), 3, 2, rng)
        x = rng.normal(size=(2, 2, 2, 3))
        h, c = rng.normal(size=(2, 2, 2, 2)), rng.normal(size=(2, 2, 2, 2))

        h_new, c_new = convlstm_step(x, h, c, kernel, recurrent, bias)
        expected = lstm_step(x.reshape(-1, 3), h.reshape(-1, 2), c.reshape(-1, 2),
                             kernel[0, 0], recurrent[0, 0], bias)

        assert close(expected[0].reshape(h.shape)) == h_new
        assert close(expected[1].reshape(c.shape)) == c_new


class TestRecurrentGate:
    def test_sigmoid_and_keras2_hard_sigmoid(self):
        """sigmoid(0) = 1/2; Keras 2's hard sigmoid is clip(0.2 x + 0.5, 0, 1)."""
        x = a(-3.0, -1.0, 0.0, 1.0, 3.0)

        assert close([1 / (1 + math.exp(3)), 1 / (1 + math.e), 0.5, 1 / (1 + math.exp(-1)),
                      1 / (1 + math.exp(-3))]) == recurrent_gate("sigmoid")(x)
        assert close([0.0, 0.3, 0.5, 0.7, 1.0]) == recurrent_gate("hard_sigmoid")(x)

    def test_hard_sigmoid_gates_the_step(self):
        """Gate pre-activations 1, 2, 4 give i = 0.7, f = 0.9, o = 1 under hard_sigmoid."""
        h, c = convlstm_step(a([[1.0]]), np.zeros((1, 1, 1)), np.ones((1, 1, 1)),
                             a([[1.0, 2.0, 3.0, 4.0]]).reshape(1, 1, 4), np.zeros((1, 1, 4)),
                             recurrent_activation="hard_sigmoid")

        assert close([[[0.9 + 0.7 * math.tanh(3)]]]) == c
        assert close([[[math.tanh(0.9 + 0.7 * math.tanh(3))]]]) == h

    def test_unknown_name_rejected(self):
        with pytest.raises(ValueError):
            run_convlstm(make_weights((1,), 1, 1, np.random.default_rng(0)), np.zeros((1, 1, 1, 1)),
                         recurrent_activation="relu")


class TestRunConvLstm:
    def test_split_sequence_equals_whole(self):
        """Two halves, the second from the first's final state, equal the whole: the carry."""
        rng = np.random.default_rng(2)
        weights = make_weights((3, 2), 2, 3, rng)
        x = rng.normal(size=(2, 6, 4, 5, 2))

        whole, whole_state = run_convlstm(weights, x, padding="same")
        first, first_state = run_convlstm(weights, x[:, :2], padding="same")
        second, second_state = run_convlstm(weights, x[:, 2:], first_state, padding="same")

        assert close(whole) == np.concatenate([first, second], axis=1)
        assert [close(s) for s in whole_state] == second_state

    def test_last_output_is_h_and_bias_optional(self):
        rng = np.random.default_rng(3)
        weights = make_weights((2,), 1, 2, rng)
        x = rng.normal(size=(1, 3, 4, 1))

        outputs, (h, _) = run_convlstm(weights[:2], x)
        with_zero_bias, _ = run_convlstm(weights[:2] + [np.zeros(8)], x)

        assert outputs[:, -1].tolist() == h.tolist()
        assert close(with_zero_bias) == outputs

    def test_state_shape_and_wrong_states_rejected(self):
        weights = make_weights((3, 3), 1, 2, np.random.default_rng(4))
        shape = state_shape(weights, (2, 3, 6, 5, 1), strides=2, padding="same")

        assert (2, 3, 3, 2) == shape
        with pytest.raises(ValueError):
            run_convlstm(weights, np.zeros((2, 3, 6, 5, 1)), [np.zeros(shape)], padding="same")
        with pytest.raises(ValueError):
            run_convlstm(weights, np.zeros((2, 3, 6, 5, 1)), [np.zeros((2, 2))] * 2)
        with pytest.raises(ValueError):
            run_convlstm(weights[:1], np.zeros((2, 3, 6, 5, 1)))


@pytest.fixture(scope="module")
def keras():
    return load("keras-tensorflow")[1]


@pytest.fixture(scope="module")
def tf_keras():
    return load("tf-keras")[1]


# (layer, kernel_size, spatial shape, layer options): both paddings, an even kernel (asymmetric
# 'same' padding), strides and dilation, with and without a bias.
KERAS_CASES = {
    "1d-valid": ("ConvLSTM1D", (3,), (6,), {}),
    "1d-same-even-kernel": ("ConvLSTM1D", (2,), (5,), {"padding": "same"}),
    "1d-strides": ("ConvLSTM1D", (3,), (7,), {"strides": 2, "padding": "same"}),
    "1d-dilation-no-bias": ("ConvLSTM1D", (2,), (6,), {"dilation_rate": 2, "use_bias": False}),
    "2d-same": ("ConvLSTM2D", (3, 2), (4, 5), {"padding": "same"}),
    "2d-valid-strides": ("ConvLSTM2D", (2, 2), (5, 4), {"strides": (2, 1)}),
}


@pytest.mark.parametrize("case", list(KERAS_CASES))
def test_equals_stateless_keras_layer(keras, case):
    """The reference equals a stateless Keras ConvLSTM given the same weights (outputs and both
    states, from zeros and from a given initial state): layout, gate order and paddings."""
    name, kernel_size, spatial, options = KERAS_CASES[case]
    rng = np.random.default_rng(5)
    channels, filters, batch, steps = 2, 3, 2, 4
    layer = getattr(keras.layers, name)(filters, kernel_size, return_sequences=True,
                                        return_state=True, **options)
    x = rng.normal(size=(batch, steps, *spatial, channels)).astype("float32")
    layer.build(x.shape)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    settings = {key: value for key, value in options.items() if key != "use_bias"}

    outputs, h, c = (keras.ops.convert_to_numpy(v) for v in layer(x))
    expected, (h_expected, c_expected) = run_convlstm(weights, x, **settings)

    assert close(expected, 1e-4) == outputs
    assert close(h_expected, 1e-4) == h
    assert close(c_expected, 1e-4) == c

    start = [rng.normal(size=h.shape).astype("float32") for _ in range(2)]
    outputs, h, c = (keras.ops.convert_to_numpy(v) for v in layer(x, initial_state=start))
    expected, (h_expected, c_expected) = run_convlstm(weights, x, start, **settings)

    assert close(expected, 1e-4) == outputs
    assert close(c_expected, 1e-4) == c


@pytest.mark.parametrize("name", ["ConvLSTM1D", "ConvLSTM2D"])
def test_equals_stateless_tf_keras_layer(tf_keras, name):
    """tf_keras's ConvLSTM (default recurrent activation: Keras 2's hard_sigmoid) equals the
    reference with recurrent_activation="hard_sigmoid"."""
    rank = int(name[-2])
    rng = np.random.default_rng(6)
    layer = getattr(tf_keras.layers, name)(3, (3,) * rank, padding="same", return_sequences=True,
                                           return_state=True)
    x = rng.normal(size=(2, 3, *(4,) * rank, 2)).astype("float32")
    layer(x)
    assert "hard_sigmoid" == layer.get_config()["recurrent_activation"]
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)

    outputs, h, c = (np.asarray(v) for v in layer(x))
    expected, (h_expected, c_expected) = run_convlstm(weights, x, padding="same",
                                                      recurrent_activation="hard_sigmoid")

    assert close(expected, 1e-4) == outputs
    assert close(h_expected, 1e-4) == h
    assert close(c_expected, 1e-4) == c
