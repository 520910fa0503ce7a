"""Archives Lensboard writes hold only plain relative member names; class names that would not be one are
refused when a dataset is read."""

from __future__ import annotations

import pytest

from backend.core.data.archives import UnsafeMemberName, plain_member_name
from backend.core.data.records import class_name_ok


@pytest.mark.parametrize("name", ["aclImdb/train/pos/1_9.txt", "aclImdb/test/neg words/3_0.txt", "a.b/c-d_e.txt"])
def test_plain_names_pass(name: str) -> None:
    assert plain_member_name(name) == name


@pytest.mark.parametrize("name", [
    "aclImdb/train/../../../evil/1_0.txt", "../x.txt", "/etc/x", "aclImdb//x.txt", "aclImdb/./x.txt",
    "aclImdb/a\\..\\b/x.txt", "C:/x.txt", "aclImdb/x\0.txt", "", "aclImdb/train/",
])
def test_anything_else_is_refused(name: str) -> None:
    with pytest.raises(UnsafeMemberName):
        plain_member_name(name)


@pytest.mark.parametrize("name", ["pos", "neg", "Très bien", "class_2", "a-b.c", "-neg", "x" * 100, "日本"])
def test_usable_class_names(name: str) -> None:
    assert class_name_ok(name)


@pytest.mark.parametrize("name", [
    "", "..", "../../..", "a/b", "a\\b", ".hidden", "a..b", "x" * 101, "tab\there", "nul\0", "=HYPERLINK(\"x\")",
    "new\nline",
])
def test_unusable_class_names(name: str) -> None:
    assert not class_name_ok(name)
