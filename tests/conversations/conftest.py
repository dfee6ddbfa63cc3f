"""The case-service fixtures (people, a case factory) for the conversation services."""
from tests.cases.conftest import make_case, people  # noqa: F401 - pytest finds fixtures by name here
