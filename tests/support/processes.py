"""The real `hub` command as a separate process."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.factories import TEST_KEYRING
from tests.support.servers import free_port

HUB = shutil.which("hub") or str(Path(sys.executable).with_name("hub"))


def hub_env(*, test_keys: bool = True, **extra: str) -> dict[str, str]:
    """The environment of a hub process: the test keyring (unless `test_keys` is false: then
    the hub finds or makes its key file as on a new machine) and `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    env.pop("DATABASE_URL", None)
    if test_keys:
        env["HUB_KEYS"] = TEST_KEYRING.to_json()
    env.update(extra)
    return env


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"hub exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"hub at {url} not ready within {seconds} s")


def start_hub(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen([HUB, *args], env=env, stdout=handle, stderr=subprocess.STDOUT)


# Load tests send far more than a partner may; the limit is tested on its own elsewhere.
UNLIMITED = {"HUB_PARTNER_RATE_PER_MINUTE": "1000000", "HUB_PARTNER_RATE_BURST": "100000"}


async def serve(
    processes: list[subprocess.Popen[bytes]],
    log: Path,
    *,
    port: int | None = None,
    args: tuple[str, ...] = (),
    **env: str,
) -> tuple[subprocess.Popen[bytes], str]:
    """`hub serve` (after `args`, e.g. `-v`) with `env`, ready; the process and its base URL."""
    port = port or free_port()
    process = start_hub([*args, "serve", "--port", str(port)], hub_env(**env), log)
    processes.append(process)
    base = f"http://127.0.0.1:{port}"
    await asyncio.to_thread(wait_ready, base, process)
    return process, base
