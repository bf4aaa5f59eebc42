"""What the web3.py client scripts share: the dev accounts, the checks, the
watchdog and the pass/fail exit. Only the standard library, so importing it
cannot fail where web3.py is missing."""

import os
import sys
import threading
import traceback

# The first dev accounts of the standard test mnemonic, as orac --dev and
# anvil fund them.
KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDR0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ADDR1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
# Never sends in any client script, so it keeps its genesis balance.
ADDR9 = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
STEP = ["start"]  # the check being run, for the failure message
# Never hang: tests/tests/clients.rs waits longer, so this message is the
# one shown.
WATCHDOG_S = 180


class CheckFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CheckFailed(f"check failed: {what}")


def eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"check failed: {what}: expected {expected!r}, got {actual!r}")


def must_fail(f, what):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - any client error is the point
        return e
    raise CheckFailed(f"check failed: {what} succeeded but must fail")


def require_env(label, names):
    """The environment variables `names`, or exit 2 naming the first missing."""
    for var in names:
        if not os.environ.get(var):
            print(f"FAIL ({label}): set {var}", file=sys.stderr)
            sys.exit(2)
    return {var: os.environ[var] for var in names}


def run(label, main):
    """Runs `main` within the watchdog: exits 0 when its checks pass, else
    prints the failure with the current step and exits 1."""

    def timed_out():
        print(f"FAIL ({label}, step {STEP[0]!r}): timed out after {WATCHDOG_S} s", file=sys.stderr, flush=True)
        os._exit(1)

    watchdog = threading.Timer(WATCHDOG_S, timed_out)
    watchdog.daemon = True
    watchdog.start()
    try:
        main()
    except Exception:  # noqa: BLE001
        print(f"FAIL ({label}, step {STEP[0]!r}): {traceback.format_exc()}", file=sys.stderr)
        sys.exit(1)
    print(f"{label}: all checks passed")
    sys.exit(0)
