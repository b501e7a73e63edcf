"""Root test configuration: the shared infrastructure fixtures of servicekit."""

# With --import-mode=importlib, pytest would otherwise register the `gateway/`
# folder itself as a package named `gateway` while collecting
# gateway/tests/conftest.py, hiding the installed gateway package.
import gateway  # noqa: F401

pytest_plugins = ["servicekit.testing.plugin"]
