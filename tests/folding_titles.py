"""Titles in many scripts, and searches that must find each as a keyboard without accents types
them: the console's item search is checked with them on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import unicodedata

TITLES = {
    "muesli": unicodedata.normalize("NFD", "Müsli Nuss"),  # decomposed, as macOS writes it
    "brulee": "Crème brûlée",
    "simit": "İstanbul Simidi",
    "map": "Straßenkarte",
    "yoghurt": "Ελληνικό Γιαούρτι",
    "honey": "Мёд",
    "tea": "有机绿茶",
    "rice": "बासमती चावल",
    "butter": "Masło extra",
    "salmon": "Łosoś wędzony",
    "smoer": "Smør usaltet",
    "coffee": "Cà phê Đông Á",
    "eggs": "Œufs frais",
    "pancakes": "Æbleskiver",
}
# query -> the one item it finds
SEARCHES = {
    "Müsli": "muesli",
    "musli": "muesli",
    "creme brulee": "brulee",
    "istanbul": "simit",
    "STRASSENKARTE": "map",
    "γιαουρτι": "yoghurt",
    "мед": "honey",
    "绿茶": "tea",
    "चावल": "rice",
    "maslo": "butter",
    "losos": "salmon",
    "SMOR": "smoer",
    "dong": "coffee",
    "oeufs": "eggs",
    "œufs": "eggs",
    "AEBLESKIVER": "pancakes",
}
