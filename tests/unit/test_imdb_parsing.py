"""Reading Stanford's IMDB layout from folders and .tar.gz archives (synthetic files)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from backend.core.data.imdb import ImdbFormatError, ImdbReview, iter_reviews, parse_review_path, word_count
from tests.support.imdb_fake import movie_line, small_reviews, write_archive, write_layout


def by_key(reviews: list[ImdbReview]) -> dict[str, ImdbReview]:
    return {r.key: r for r in reviews}


def test_parse_review_path() -> None:
    assert parse_review_path("test/neg/10003_3.txt") == ("test", 0, 10003, 3)
    assert parse_review_path("train/pos/0_10.txt") == ("train", 1, 0, 10)
    # Outside pos/neg: not a review, ignored.
    assert parse_review_path("train/unsup/0_0.txt") is None
    assert parse_review_path("train/urls_pos.txt") is None
    assert parse_review_path("train/pos/.DS_Store") is None


@pytest.mark.parametrize("name", ["abc.txt", "12.txt", "12_9.text", "12_x.txt", "-1_3.txt"])
def test_bad_review_names_are_errors(name: str) -> None:
    with pytest.raises(ImdbFormatError, match=f"train/pos/{name}"):
        parse_review_path(f"train/pos/{name}")


@pytest.mark.parametrize("score", [0, 11, 42])
def test_scores_outside_1_to_10_are_errors(score: int) -> None:
    with pytest.raises(ImdbFormatError, match="outside 1-10"):
        parse_review_path(f"test/neg/5_{score}.txt")


def test_word_count_treats_line_breaks_as_breaks() -> None:
    assert word_count("Great film.<br /><br />Loved it!") == 4
    assert word_count("  one\ttwo\nthree ") == 3
    assert word_count("") == 0


@pytest.mark.parametrize("form", ["parent", "aclImdb", "archive", "archive-urls-first"])
def test_reads_every_form_the_same(tmp_path: Path, form: str) -> None:
    root = write_layout(tmp_path / "src", small_reviews())
    path = {
        "parent": tmp_path / "src",
        "aclImdb": root,
        "archive": write_archive(root, tmp_path / "a.tar.gz"),
        "archive-urls-first": write_archive(root, tmp_path / "b.tar.gz", urls_last=False),
    }[form]
    reviews = by_key(list(iter_reviews(path)))
    assert len(reviews) == 16
    r = reviews["test/neg/10003_3"]
    assert (r.split, r.label, r.review_id, r.score, r.text) == ("test", 0, 10003, 3, "zzzunseen word")
    assert r.movie_id == "tt1010003"  # line 10003 of test/urls_neg.txt
    p = reviews["train/pos/12_8"]
    assert (p.split, p.label, p.score, p.text) == ("train", 1, 8, "Café scenes were lovely")
    assert p.movie_id == "tt1000012"
    assert p.word_count == 4
    assert {r.split for r in reviews.values()} == {"train", "test"}
    assert sum(r.label for r in reviews.values()) == 8


def test_progress_reaches_one(tmp_path: Path) -> None:
    root = write_layout(tmp_path, small_reviews())
    for path in (root, write_archive(root, tmp_path / "a.tar.gz")):
        seen: list[float] = []
        list(iter_reviews(path, on_progress=seen.append))
        assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_missing_urls_file_gives_no_movie_id(tmp_path: Path) -> None:
    root = write_layout(tmp_path, small_reviews(), urls_lines=None)
    assert all(r.movie_id is None for r in iter_reviews(root))


def test_urls_file_too_short_is_an_error(tmp_path: Path) -> None:
    root = write_layout(tmp_path, small_reviews(), urls_lines=5)
    with pytest.raises(ImdbFormatError, match=r"urls_\w+\.txt has 5 lines"):
        list(iter_reviews(root))


def test_urls_line_without_movie_id_is_an_error(tmp_path: Path) -> None:
    root = write_layout(tmp_path, {("train", "pos"): {"1_9.txt": "ok"}})
    (root / "train" / "urls_pos.txt").write_text(movie_line(0) + "\nhttp://example.com/nothing\n")
    with pytest.raises(ImdbFormatError, match=r"line 1 .*has no movie id"):
        list(iter_reviews(root))


@pytest.mark.parametrize("archive", [False, True])
def test_bad_utf8_names_the_file(tmp_path: Path, archive: bool) -> None:
    reviews = small_reviews()
    reviews[("train", "neg")]["7_2.txt"] = b"caf\xe9 latin-1 text"
    root = write_layout(tmp_path / "src", reviews)
    path = write_archive(root, tmp_path / "a.tar.gz") if archive else root
    with pytest.raises(ImdbFormatError, match=r"train/neg/7_2\.txt: not valid UTF-8 at byte 3"):
        list(iter_reviews(path))


def test_nul_byte_is_an_error(tmp_path: Path) -> None:
    root = write_layout(tmp_path, {("train", "pos"): {"1_9.txt": b"fine\x00text"}})
    with pytest.raises(ImdbFormatError, match=r"train/pos/1_9\.txt: contains a NUL byte at 4"):
        list(iter_reviews(root))


@pytest.mark.parametrize("archive", [False, True])
def test_bad_name_inside_layout_is_an_error(tmp_path: Path, archive: bool) -> None:
    reviews = small_reviews()
    reviews[("test", "pos")]["review.txt"] = "no id"
    root = write_layout(tmp_path / "src", reviews)
    path = write_archive(root, tmp_path / "a.tar.gz") if archive else root
    with pytest.raises(ImdbFormatError, match=r"test/pos/review\.txt: review files must be named"):
        list(iter_reviews(path))


def test_duplicate_review_id_is_an_error(tmp_path: Path) -> None:
    root = write_layout(tmp_path, {("train", "pos"): {"4_9.txt": "a", "4_10.txt": "b"}})
    with pytest.raises(ImdbFormatError, match="review id 4 appears twice"):
        list(iter_reviews(root))


def test_truncated_archive_is_an_error(tmp_path: Path) -> None:
    root = write_layout(tmp_path / "src", small_reviews())
    good = write_archive(root, tmp_path / "good.tar.gz").read_bytes()
    bad = tmp_path / "cut.tar.gz"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(ImdbFormatError, match=r"cut\.tar\.gz is not a readable \.tar\.gz archive"):
        list(iter_reviews(bad))


def test_corrupt_archive_is_an_error(tmp_path: Path) -> None:
    root = write_layout(tmp_path / "src", small_reviews())
    data = bytearray(write_archive(root, tmp_path / "good.tar.gz").read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)  # zeroed block inside the deflate stream
    bad = tmp_path / "corrupt.tar.gz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ImdbFormatError, match=r"corrupt\.tar\.gz is not a readable"):
        list(iter_reviews(bad))


def test_damaged_member_header_is_an_error(tmp_path: Path) -> None:
    """A valid gzip of a tar whose middle header is damaged: tarfile alone would stop there quietly."""
    root = write_layout(tmp_path / "src", small_reviews())
    tar = bytearray(gzip.decompress(write_archive(root, tmp_path / "good.tar.gz").read_bytes()))
    header = tar.index(b"aclImdb/test/neg/")  # a member header after the first one
    tar[header + 148: header + 156] = b"garbage!"  # its checksum field
    bad = tmp_path / "header.tar.gz"
    bad.write_bytes(gzip.compress(bytes(tar)))
    with pytest.raises(ImdbFormatError, match=r"header\.tar\.gz is not a readable"):
        list(iter_reviews(bad))


def test_not_an_archive_is_an_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\n" * 100)
    with pytest.raises(ImdbFormatError, match=r"notes.txt is not a .tar.gz archive \(no gzip header\)"):
        list(iter_reviews(text))
    gz = tmp_path / "plain.gz"
    gz.write_bytes(gzip.compress(b"not a tar file" * 100))
    with pytest.raises(ImdbFormatError, match=r"plain\.gz is not a readable"):
        list(iter_reviews(gz))


def test_archive_without_reviews_is_an_error(tmp_path: Path) -> None:
    other = tmp_path / "other"
    (other / "docs").mkdir(parents=True)
    (other / "docs" / "a.txt").write_text("hello")
    with pytest.raises(ImdbFormatError, match="holds no reviews"):
        list(iter_reviews(write_archive(other, tmp_path / "other.tar.gz")))


def test_wrong_paths_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ImdbFormatError, match="does not exist"):
        list(iter_reviews(tmp_path / "missing.tar.gz"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImdbFormatError, match=r"has no aclImdb/\{train,test\}/\{pos,neg\} folders"):
        list(iter_reviews(tmp_path / "empty"))
