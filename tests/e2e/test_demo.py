"""`hub demo` as a new user runs it: embedded PostgreSQL, demo data, a signal posted."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
import psutil
import pytest

from tests.support.factories import make_signal
from tests.support.processes import hub_env, start_hub, wait_ready
from tests.support.servers import free_port

DDAS_SCHEMA = json.loads(
    (Path(__file__).parents[1] / "data" / "ddas" / "json_schema_Uitwisselmodel.json").read_text()
)


def post_json(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def get_json(url: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
        return result


def embedded_postgres_running(data_dir: Path) -> bool:
    return any(
        str(data_dir) in " ".join(proc.info["cmdline"] or [])
        for proc in psutil.process_iter(["name", "cmdline"])
        if proc.info["name"] == "postgres"
    )


def get_as_person(url: str, email: str, password: str, path: str) -> dict[str, Any]:
    """Log in through the login page (its CSRF token, a session cookie) and GET `path`."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(f"{url}/inloggen", timeout=10) as page:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert csrf is not None
    form = urllib.parse.urlencode(
        {"csrf_token": csrf.group(1), "email": email, "password": password}
    ).encode()
    login = urllib.request.Request(f"{url}/inloggen", data=form)  # noqa: S310 - loopback
    opener.open(login, timeout=10).close()
    with opener.open(f"{url}{path}", timeout=30) as response:
        found: dict[str, Any] = json.load(response)
    return found


def run_demo(
    data_dir: Path, port: int, processes: list[subprocess.Popen[bytes]]
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    process = start_hub(
        ["demo", "--port", str(port)],
        hub_env(test_keys=False, HUB_DATA_DIR=str(data_dir)),
        data_dir / "hub.log",
    )
    processes.append(process)
    wait_ready(f"http://127.0.0.1:{port}", process, seconds=120)
    credentials = json.loads((data_dir / "demo-credentials.json").read_text())
    return process, credentials


async def check_the_hubs_role(data_dir: Path) -> None:
    socket_dir = (data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[4]
    conn = await asyncpg.connect(f"postgresql://signal_hub_app@/hub?host={socket_dir}")
    try:
        users = await conn.fetch(
            "select distinct usename from pg_stat_activity where datname = 'hub' "
            "and pid <> pg_backend_pid()"
        )
        assert {row["usename"] for row in users} == {"signal_hub_app"}
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("truncate access_log")
    finally:
        await conn.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0


def test_demo_serves_haarlem_and_stops_cleanly(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process, credentials = run_demo(data_dir, port, processes)

    assert credentials["url"] == url
    kinds = {partner["kind"] for partner in credentials["partners"]}
    assert kinds == {
        "gp",
        "housing",
        "police",
        "work_income",
        "youth",
        "other",
        # early-debt signalling: creditors and a collection system sending others' lists
        "energy",
        "health_insurer",
        "collection_system",
    }
    assert len(credentials["partners"]) >= 12
    partner_users = [u for u in credentials["users"] if u["role"] == "partner"]
    assert {user["partner"] for user in partner_users} == {
        partner["name"] for partner in credentials["partners"]
    }
    roles = {(u["role"], u.get("team")) for u in credentials["users"]}
    assert {
        ("member", "SWT-HLM-OOST"),
        ("lead", "SWT-ZVT"),
        ("coordinator", None),
        ("manager", None),
        ("admin", None),
    } <= roles
    gp = next(p for p in credentials["partners"] if p["kind"] == "gp")

    status, receipt = post_json(
        f"{url}/api/v1/signals",
        gp["token"],
        make_signal(address={"postcode": "2025 AB", "house_number": 8}),
    )
    assert status == 202
    assert receipt["team"]["code"] == "SWT-HLM-NOORDWEST"

    # Weeks of demo history: signals flow from most partners to most teams. (The
    # administrator's token reads figures; residents' data takes a person's account.)
    network = get_json(f"{url}/api/v1/network", credentials["admin_token"])
    flows = [link for link in network["graph"]["links"] if link["relation"] == "flow"]
    assert len(flows) > 20

    # The demo shows every kind of weak link on first start.
    weak = network["weak_links"]
    assert {link["kind"] for link in weak} == {
        "bridge",
        "articulation_point",
        "dried_up_flow",
        "agreement_kept_poorly",
        "no_agreement",
        "coverage_gap",
        "weak_tie",
        "verdict_gap",
    }
    # Partners' own verdict beside the measurement: Oost rated higher than it delivered,
    # Schalkwijk-Noord lower.
    verdicts = {
        (tuple(link["nodes"]), link["evidence"]["direction"])
        for link in weak
        if link["kind"] == "verdict_gap"
    }
    assert {
        (("team:SWT-HLM-OOST",), "higher"),
        (("team:SWT-HLM-SCHALKWIJK-NOORD",), "lower"),
    } <= verdicts

    # Two past partner surveys: the trend, and small counts masked (Zandvoort's few partners).
    surveys = get_json(f"{url}/api/v1/surveys", credentials["admin_token"])["surveys"]
    assert [survey["open"] for survey in surveys] == [False, False]
    results = get_json(
        f"{url}/api/v1/surveys/{surveys[0]['id']}/results", credentials["admin_token"]
    )
    assert all(statement["earlier"] for statement in results["all_teams"])
    teams = {team["code"]: team for team in results["teams"]}
    assert teams["SWT-ZVT"]["answered"] == "<5"
    assert teams["SWT-ZVT"]["comments"] is None
    assert any(row["finding"] == "rated_lower" for row in results["verdict_by_team"])

    # Busy teams beside quiet ones: Schalkwijk-Noord carries more open cases than it can.
    load = get_json(f"{url}/api/v1/metrics/teams", credentials["admin_token"])["teams"]
    assert load[0]["code"] == "SWT-HLM-SCHALKWIJK-NOORD"
    assert load[0]["over_capacity"] is True
    assert any(team["over_capacity"] is False for team in load)

    # Early-debt signalling: a month of the demo's creditors' signals, delivered for CBS in the
    # national data set, with contact attempts and end results.
    month = f"from={date.today() - timedelta(days=60)}&to={date.today()}"
    # An administrator in person: the machine admin token reads no resident's data.
    admin = next(user for user in credentials["users"] if user["role"] == "admin")
    ddas = get_as_person(url, admin["email"], admin["password"], f"/api/v1/reports/ddas?{month}")
    jsonschema.Draft202012Validator(
        DDAS_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(ddas)
    haarlem = next(d for d in ddas["leveringen"] if d["gemeentecode"] == "0392")
    partners = {signal["signaalpartner"]["type"] for signal in haarlem["vroegsignalen"]}
    assert {"Energie", "Zorg"} <= partners
    assert len(partners) >= 4  # and the collection system's creditors
    cases = haarlem["vroegsignaalzaken"]
    assert any("resultaat" in case and case.get("contactpogingen") for case in cases)
    assert any(
        not attempt["bereikt"] for case in cases for attempt in case.get("contactpogingen", [])
    )

    # The hub serves as a role that owns nothing: the audit trail is out of its reach.
    asyncio.run(check_the_hubs_role(data_dir))

    stop(process)
    assert not embedded_postgres_running(data_dir)

    # A second run reuses the data and the tokens.
    process, again = run_demo(data_dir, port, processes)
    assert again["partners"] == credentials["partners"]
    assert again["users"] == credentials["users"]
    kept = get_json(f"{url}/api/v1/signals/{receipt['id']}", gp["token"])
    assert kept["team"]["code"] == "SWT-HLM-NOORDWEST"
    stop(process)
    assert not embedded_postgres_running(data_dir)
