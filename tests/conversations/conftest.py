"""The case-service fixtures (people, organisations, a case factory) for the conversation services."""
from tests.cases.conftest import make_case, orgs, people  # noqa: F401 - pytest finds fixtures by name here
