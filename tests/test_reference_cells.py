"""Tests for fixtures/reference_cells.py, the NumPy reference of the Keras cells."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.reference_cells import (
    gru_step,
    lstm_step,
    run_sequence,
    run_stacked,
    simple_rnn_step,
    state_size,
)

CELLS = ["LSTM", "GRU", "SimpleRNN"]
GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


def a(*rows):
    """A float64 array from nested literals."""
    return np.array(rows, dtype=np.float64)


def make_weights(cell, features, units, rng):
    """Random weights with the shapes keras `layer.get_weights()` returns."""
    g = GATES[cell]
    bias_shape = (2, g * units) if cell == "GRU" else (g * units,)
    return [
        rng.normal(size=(features, g * units)),
        rng.normal(size=(units, g * units)),
        rng.normal(size=bias_shape),
    ]


def make_state(cell, batch, units, rng):
    return [rng.normal(size=(batch, units)) for _ in range(state_size(cell))]


@st.composite
def problems(draw):
    """A cell, random weights, an input batch and a random initial state."""
    cell = draw(st.sampled_from(CELLS))
    batch = draw(st.integers(1, 8))
    timesteps = draw(st.integers(1, 12))
    units = draw(st.integers(1, 5))
    features = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    weights = make_weights(cell, features, units, rng)
    x = rng.normal(size=(batch, timesteps, features))
    return cell, weights, x, make_state(cell, batch, units, rng)


def close(expected):
    return pytest.approx(np.asarray(expected, dtype=np.float64), rel=1e-12, abs=1e-12)


class TestSimpleRnnStep:
    def test_hand_computed(self):
        """h' = tanh(x*W + h*U + b) = tanh(2*0.5 + 0.5*(-1) + 0.25) = tanh(0.75)."""
        h = simple_rnn_step(a([2.0]), a([0.5]), a([0.5]), a([-1.0]), a(0.25))

        assert close([[math.tanh(0.75)]]) == h

    def test_zero_weights(self):
        """All-zero weights give h' = tanh(0) = 0 whatever x and h are."""
        h = simple_rnn_step(a([3.0]), a([-2.0]), a([0.0]), a([0.0]), a(0.0))

        assert [[0.0]] == h.tolist()


class TestLstmStep:
    def test_hand_computed_gate_order(self):
        """Kernel columns are i, f, c, o: pre-activations 1, 2, 3, 4 for x=1, h=0."""
        h, c = lstm_step(a([1.0]), a([0.0]), a([1.0]), a([1, 2, 3, 4]), a([0, 0, 0, 0]), a(0, 0, 0, 0))

        c_expected = sigmoid(2) * 1.0 + sigmoid(1) * math.tanh(3)
        assert close([[c_expected]]) == c
        assert close([[sigmoid(4) * math.tanh(c_expected)]]) == h

    def test_recurrent_kernel_and_bias(self):
        """h=1 feeds the recurrent kernel and the bias adds per gate: pre-activations 0, 0, 1.5, 0."""
        h, c = lstm_step(a([0.0]), a([1.0]), a([2.0]), a([9, 9, 9, 9]), a([1, -1, 1, 0.5]), a(-1, 1, 0.5, -0.5))

        c_expected = 0.5 * 2.0 + 0.5 * math.tanh(1.5)
        assert close([[c_expected]]) == c
        assert close([[0.5 * math.tanh(c_expected)]]) == h

    def test_zero_weights(self):
        """Zero weights open every gate halfway: c' = c/2 and h' = tanh(c/2)/2."""
        h, c = lstm_step(a([5.0]), a([3.0]), a([2.0]), np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4))

        assert [[1.0]] == c.tolist()
        assert close([[0.5 * math.tanh(1.0)]]) == h


class TestGruStep:
    def test_hand_computed_gate_order(self):
        """Kernel columns are z, r, h: z = sigmoid(1), r = sigmoid(-1), hh = tanh(r * 2)."""
        h = gru_step(a([1.0]), a([1.0]), a([1, -1, 0]), a([0, 0, 2]), np.zeros((2, 3)))

        z, r = sigmoid(1), sigmoid(-1)
        assert close([[z * 1.0 + (1 - z) * math.tanh(r * 2.0)]]) == h

    def test_reset_after(self):
        """The reset gate scales h@Uh + b_rec_h, not the input part: hh = tanh(1 + 0.5*(2 + 1))."""
        h = gru_step(a([1.0]), a([1.0]), a([0, 0, 1]), a([0, 0, 2]), a([0, 0, 0], [0, 0, 1]))

        assert close([[0.5 * 1.0 + 0.5 * math.tanh(2.5)]]) == h

    def test_input_and_recurrent_bias(self):
        """bias[0] is added outside the reset gate and bias[1] inside: hh = tanh(1 + 0.5*1)."""
        h = gru_step(a([0.0]), a([0.0]), np.zeros((1, 3)), np.zeros((1, 3)), a([0, 0, 1], [0, 0, 1]))

        assert close([[0.5 * math.tanh(1.5)]]) == h

    def test_zero_weights(self):
        """Zero weights give z = 1/2 and hh = 0, so h' = h/2."""
        h = gru_step(a([7.0]), a([3.0]), np.zeros((1, 3)), np.zeros((1, 3)), np.zeros((2, 3)))

        assert [[1.5]] == h.tolist()


class TestStateSize:
    @pytest.mark.parametrize(("cell", "expected"), [("LSTM", 2), ("GRU", 1), ("SimpleRNN", 1)])
    def test_state_size(self, cell, expected):
        """LSTM carries [h, c]; GRU and SimpleRNN carry [h]."""
        assert expected == state_size(cell)


class TestRunSequence:
    @pytest.mark.parametrize("cell", CELLS)
    def test_zero_weights_zero_state(self, cell):
        """Zero weights and a zero initial state give all-zero outputs and state."""
        w = make_weights(cell, 2, 3, np.random.default_rng(0))
        x = np.random.default_rng(1).normal(size=(2, 4, 2))

        out, state = run_sequence(cell, [np.zeros_like(v) for v in w], x)

        assert np.zeros((2, 4, 3)).tolist() == out.tolist()
        assert [np.zeros((2, 3)).tolist()] * state_size(cell) == [s.tolist() for s in state]

    def test_zero_weights_decay(self):
        """Zero-weight GRU halves h every step; LSTM halves c and outputs tanh(c)/2."""
        x = np.ones((1, 3, 1))

        gru_out, _ = run_sequence("GRU", [np.zeros((1, 3)), np.zeros((1, 3)), np.zeros((2, 3))], x, [a([8.0])])
        lstm_out, (_, c) = run_sequence("LSTM", [np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4)], x, [a([0.0]), a([8.0])])

        assert [[[4.0], [2.0], [1.0]]] == gru_out.tolist()
        assert [[1.0]] == c.tolist()
        assert close([[[0.5 * math.tanh(4)], [0.5 * math.tanh(2)], [0.5 * math.tanh(1)]]]) == lstm_out

    def test_hand_computed_two_steps(self):
        """SimpleRNN with W=1, U=0.5, b=0 over x = [1, -1]: h1 = tanh(1), h2 = tanh(-1 + tanh(1)/2)."""
        out, (h,) = run_sequence("SimpleRNN", [a([1.0]), a([0.5]), a(0.0)], a([[1.0], [-1.0]]))

        h1 = math.tanh(1.0)
        h2 = math.tanh(-1.0 + 0.5 * h1)
        assert close([[[h1], [h2]]]) == out
        assert close([[h2]]) == h

    @pytest.mark.parametrize("cell", CELLS)
    def test_float32_inputs_computed_in_float64(self, cell):
        """float32 weights and inputs come back as float64 outputs and state."""
        rng = np.random.default_rng(0)
        w = [v.astype(np.float32) for v in make_weights(cell, 2, 3, rng)]

        out, state = run_sequence(cell, w, rng.normal(size=(2, 4, 2)).astype(np.float32))

        assert [np.float64] * (1 + state_size(cell)) == [v.dtype for v in [out, *state]]

    @pytest.mark.parametrize("cell", CELLS)
    def test_wrong_state_count_rejected(self, cell):
        """An initial state with the wrong number of tensors raises ValueError."""
        w = make_weights(cell, 1, 2, np.random.default_rng(0))
        bad = [np.zeros((1, 2))] * (3 - state_size(cell))

        with pytest.raises(ValueError):
            run_sequence(cell, w, np.zeros((1, 2, 1)), bad)

    @settings(deadline=None)
    @given(problems())
    def test_shapes(self, problem):
        """Outputs are (batch, timesteps, units); the state is state_size (batch, units) arrays."""
        cell, w, x, _ = problem
        batch, timesteps, _ = x.shape
        units = w[1].shape[0]

        out, state = run_sequence(cell, w, x)

        assert (batch, timesteps, units) == out.shape
        assert [(batch, units)] * state_size(cell) == [s.shape for s in state]

    @settings(deadline=None)
    @given(problems())
    def test_last_output_is_h(self, problem):
        """The last output step equals the final h, the first state tensor."""
        cell, w, x, init = problem

        out, state = run_sequence(cell, w, x, init)

        assert out[:, -1].tolist() == state[0].tolist()

    @settings(deadline=None)
    @given(problems())
    def test_single_step_matches_step_function(self, problem):
        """A one-step sequence equals one call of the cell's step function."""
        cell, w, x, init = problem
        step = {"LSTM": lstm_step, "GRU": gru_step, "SimpleRNN": simple_rnn_step}[cell]
        expected = step(x[:, 0], *init, *w)
        expected = list(expected) if cell == "LSTM" else [expected]

        _, state = run_sequence(cell, w, x[:, :1], init)

        assert [close(e) for e in expected] == state

    @settings(deadline=None)
    @given(problems(), st.data())
    def test_split_sequence_equals_whole(self, problem, data):
        """Running the two halves, the second starting from the first's final state, equals the whole."""
        cell, w, x, init = problem
        k = data.draw(st.integers(0, x.shape[1]), label="split")

        whole_out, whole_state = run_sequence(cell, w, x, init)
        first_out, first_state = run_sequence(cell, w, x[:, :k], init)
        second_out, second_state = run_sequence(cell, w, x[:, k:], first_state)

        assert close(whole_out) == np.concatenate([first_out, second_out], axis=1)
        assert [close(s) for s in whole_state] == second_state

    @settings(deadline=None)
    @given(problems())
    def test_batch_rows_independent(self, problem):
        """Each batch row's result equals running that row alone."""
        cell, w, x, init = problem

        out, state = run_sequence(cell, w, x, init)

        for b in range(x.shape[0]):
            row_out, row_state = run_sequence(cell, w, x[b : b + 1], [s[b : b + 1] for s in init])
            assert close(out[b : b + 1]) == row_out
            assert [close(s[b : b + 1]) for s in state] == row_state

    @settings(deadline=None)
    @given(problems())
    def test_zero_initial_state_is_default(self, problem):
        """initial_state=None gives the same result as explicit zeros."""
        cell, w, x, init = problem
        zeros = [np.zeros_like(s) for s in init]

        default_out, default_state = run_sequence(cell, w, x)
        zeros_out, zeros_state = run_sequence(cell, w, x, zeros)

        assert zeros_out.tolist() == default_out.tolist()
        assert [s.tolist() for s in zeros_state] == [s.tolist() for s in default_state]


class TestGoBackwards:
    @settings(max_examples=30, deadline=None)
    @given(problems())
    def test_equals_forward_on_reversed_input(self, problem):
        """go_backwards=True is the forward run on x reversed in time, outputs in reading order."""
        cell, weights, x, state = problem
        backwards = run_sequence(cell, weights, x, state, go_backwards=True)
        forwards = run_sequence(cell, weights, x[:, ::-1], state)

        assert close(forwards[0]) == backwards[0]
        for value, expected in zip(backwards[1], forwards[1]):
            assert close(expected) == value

    def test_default_is_forward(self):
        rng = np.random.default_rng(1)
        weights = make_weights("GRU", 2, 3, rng)
        x = rng.normal(size=(2, 4, 2))

        assert close(run_sequence("GRU", weights, x)[0]) == run_sequence("GRU", weights, x, go_backwards=False)[0]


class TestRunStacked:
    @settings(max_examples=30, deadline=None)
    @given(problems(), st.integers(0, 2**32 - 1))
    def test_each_cell_reads_the_previous_outputs(self, problem, seed):
        """Two stacked cells equal the first run on x and the second run on its outputs."""
        cell, first, x, state = problem
        rng = np.random.default_rng(seed)
        units = first[1].shape[0]
        second = make_weights(cell, units, units, rng)
        second_state = make_state(cell, x.shape[0], units, rng)

        outputs, final = run_stacked(cell, first + second, x, state + second_state)
        middle, expected_first = run_sequence(cell, first, x, state)
        expected_outputs, expected_second = run_sequence(cell, second, middle, second_state)

        assert close(expected_outputs) == outputs
        assert len(final) == 2 * state_size(cell)
        for value, expected in zip(final, expected_first + expected_second):
            assert close(expected) == value

    def test_one_cell_is_run_sequence(self):
        rng = np.random.default_rng(2)
        weights = make_weights("LSTM", 2, 3, rng)
        x = rng.normal(size=(2, 4, 2))

        assert close(run_sequence("LSTM", weights, x)[0]) == run_stacked("LSTM", weights, x)[0]

    @pytest.mark.parametrize("cell", CELLS)
    def test_wrong_counts_rejected(self, cell):
        rng = np.random.default_rng(3)
        weights = make_weights(cell, 2, 3, rng)
        x = rng.normal(size=(1, 2, 2))
        with pytest.raises(ValueError):
            run_stacked(cell, weights[:2], x)
        with pytest.raises(ValueError):
            run_stacked(cell, weights + weights, x, make_state(cell, 1, 3, rng))
