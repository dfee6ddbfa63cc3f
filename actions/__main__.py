"""The action server: starts building the legal retriever, then serves Rasa SDK's endpoint (`python -m actions`)."""
from __future__ import annotations


def main() -> None:
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser

    args = create_argument_parser().parse_args()
    from actions.legal import warm_in_background

    # A few seconds of CPU while Sanic starts, so the first legal question does not wait for it.
    warm_in_background()
    main_from_args(args)


if __name__ == "__main__":
    main()
