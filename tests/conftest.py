from hypothesis import settings

# Derandomised so CI sees the same examples every run.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60, print_blob=True)
settings.load_profile("ci")
