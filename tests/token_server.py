"""The former home of ``tests.helpers.token_server``; import it from there (this goes away)."""

import runpy

if __name__ == "__main__":
    runpy.run_module("tests.helpers.token_server", run_name="__main__")
else:
    from .helpers.token_server import TokenServer, send_json

    __all__ = ["TokenServer", "send_json"]
