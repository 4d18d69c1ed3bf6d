"""schemathesis hooks of scripts/contract-fuzz (named in schemathesis.toml)."""

import re
import uuid

import schemathesis

VALID_IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")


@schemathesis.hook
def before_call(context, case, kwargs):
    """Sends each valid Idempotency-Key once, as a client does.

    Generated keys repeat ("0", "!"), and a repeated key replays the first
    answer: the item created then, even one deleted since (a false "created
    resource not found"), or a 422 when the body differs. Replays are tested
    in DataAPIRouterTests; an invalid key is left as generated.
    """
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and VALID_IDEMPOTENCY_KEY.fullmatch(key):
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
