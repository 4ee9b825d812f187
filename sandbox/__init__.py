"""An embedded simulator of the vendor's loyalty API, for development, tests and benchmarks.

It shares no code with the gateway's parsing: it writes the vendor's JSON from
its own records, so the tests cannot agree with themselves.
"""

from sandbox.app import BRAND_B_AUTHORIZATION, DEMO_AUTHORIZATION, Sandbox, create_app

__all__ = ["BRAND_B_AUTHORIZATION", "DEMO_AUTHORIZATION", "Sandbox", "create_app"]
