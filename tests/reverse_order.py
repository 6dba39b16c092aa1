"""pytest plugin that runs the collected checks in reverse order (``-p tests.reverse_order``).

The determinism self-test uses it to show that no verdict depends on which check ran first.
That matters because checks share built models (``fixtures.rnn.ModelPool``): a state or weight
left behind by one check must never reach the next.
"""


def pytest_collection_modifyitems(items):
    items.reverse()
