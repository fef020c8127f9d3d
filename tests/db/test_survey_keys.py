"""Partners' comments are sealed like personal data and follow key rotation; the personal links
outlive it (they hang on the index key, which is not rotated)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from hub.platform.clock import today
from hub.platform.config import Settings
from hub.privacy.crypto import load_keyring, use_keyring
from hub.privacy.keys import prepare_keys, retire_old_keys, rotate_keys
from hub.surveys.service import links_of, save_answers, start_survey, survey_form
from tests.support.factories import TEST_KEYRING
from tests.support.surveys import survey_partners

COMMENT = "Mevrouw Jansen van nummer 4 wacht al weken op een belletje."


async def test_comments_are_sealed_and_links_outlive_a_key_rotation(
    haarlem: asyncpg.Pool, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    try:
        await prepare_keys(haarlem, settings)
        (partner,) = await survey_partners(haarlem, 1)
        started = await start_survey(
            haarlem, today() + timedelta(days=10), None, public_url="", now=datetime.now(UTC)
        )
        token = (await links_of(haarlem, started.survey_id))[partner.id]
        form = await survey_form(haarlem, token, today())
        assert form is not None
        team = form.teams[0].id
        await save_answers(haarlem, token, {}, {team: COMMENT}, datetime.now(UTC))
        async with haarlem.acquire() as conn:
            stored = await conn.fetchval("select string_agg(t::text, ' ') from survey_comments t")
        assert "Jansen" not in stored

        counts = await rotate_keys(haarlem, settings)
        assert counts["survey_comments.comment"] == 1
        assert await retire_old_keys(haarlem, settings) == [1]
        use_keyring(load_keyring(None, tmp_path / "keys.json", create=False))
        again = await survey_form(haarlem, token, today())
        assert again is not None
        assert again.comments == {team: COMMENT}
    finally:
        use_keyring(TEST_KEYRING)
