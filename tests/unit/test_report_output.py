"""`hub report ddas --output` writes a new file only its user reads, never over another."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hub.cli.reports import open_private


def test_a_new_private_file_and_never_an_existing_one_or_a_link(tmp_path: Path) -> None:
    target = tmp_path / "ddas.json"
    os.close(open_private(str(target)))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        open_private(str(target))  # what is there stays
    precious = tmp_path / "passwd"
    precious.write_text("root:x:0:0")
    link = tmp_path / "link.json"
    link.symlink_to(precious)
    with pytest.raises(FileExistsError):  # O_EXCL never follows a link
        open_private(str(link))
    assert precious.read_text() == "root:x:0:0"
