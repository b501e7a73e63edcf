"""Root test configuration: the shared infrastructure fixtures of servicekit."""

pytest_plugins = ["servicekit.testing.plugin"]
