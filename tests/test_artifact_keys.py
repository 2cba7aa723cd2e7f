"""Artifact names and identifiers as single path components (runners_core.artifacts.keys)."""

from __future__ import annotations

from runners_core.artifacts.keys import MAX_ENTRY_BYTES, decode, encode, hashed_matches, is_hashed


def test_case_folding_encoding_never_merges_names() -> None:
    names = ["Report.txt", "report.txt", "REPORT.TXT", "%41", "A", "a", "é", "É", "e\u0301"]
    names += ["%2f", "%2F", "x/y", "x%2Fy", ".hidden", "~tilde", "Ωmega", "ωmega"]
    for fold in (False, True):
        entries = [encode(n, fold_case=fold) for n in names]
        keys = [e.casefold() for e in entries] if fold else entries
        assert len(set(keys)) == len(names), (fold, entries)
        assert [decode(e, fold_case=fold) for e in entries] == names
        assert not any(e.startswith((".", "~")) or "/" in e for e in entries)


def test_long_values_are_hashed_and_recognisable() -> None:
    name = "d/" + "é" * 300
    entry = encode(name, fold_case=False)
    assert is_hashed(entry) and hashed_matches(entry, name) and len(entry) <= MAX_ENTRY_BYTES
    assert decode(entry, fold_case=False) is None  # the exact name lives in a sidecar
    assert not is_hashed(encode("~" + "a" * 64, fold_case=False))


def test_entries_the_encoder_never_writes_do_not_decode() -> None:
    for entry in ("%zz", "a%2fb", "%C3", "x/y", ".hidden", "a%41"):
        assert decode(entry, fold_case=False) is None, entry
