"""Content tokens: what places a new item by its category, brand, price and words."""

from __future__ import annotations

from edgerec.models.features import ItemContent, tokens_of


def _title_words(title: str) -> list[str]:
    return [t.removeprefix("title:") for t in tokens_of(ItemContent(title=title)) if t.startswith("title:")]


def test_an_english_title_gives_its_words() -> None:
    assert _title_words("Men's Cotton T-Shirt, 2 pack") == ["men", "cotton", "shirt", "pack"]


def test_a_title_in_any_script_gives_its_words_as_a_shop_without_accents_spells_them() -> None:
    assert _title_words("Гречка ядрица 900г") == ["гречка", "ядрица", "900г"]
    assert _title_words("Müsli Crunchy") == _title_words("MUSLI crunchy") == ["musli", "crunchy"]
    assert _title_words("Crème brûlée") == ["creme", "brulee"]
    assert _title_words("Γιαούρτι στραγγιστό") == ["γιαουρτι", "στραγγιστο"]
    assert _title_words("बासमती चावल") == ["बासमती", "चावल"]  # vowel signs are the words' own


def test_titles_written_without_spaces_share_their_pairs_of_characters() -> None:
    green_tea = set(_title_words("有机绿茶"))
    assert green_tea == {"有机", "机绿", "绿茶"}
    assert green_tea & set(_title_words("静冈绿茶包")) == {"绿茶"}
