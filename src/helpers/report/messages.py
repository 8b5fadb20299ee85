"""The message catalogue: every sentence, label and heading a reader sees, in English and Simplified
Chinese, as gettext ``.po`` catalogues read with Babel.

Message ids are stable keys (``finding.threshold.below_min``, ``cover.decision``); each language's
catalogue gives the text, with named ``{placeholders}`` filled by :meth:`Messages.__call__` (the
arguments are already formatted by the language's :class:`~helpers.report.formatting.Formatter`).
The catalogues live in ``helpers/report/locales/<locale>/LC_MESSAGES/*.po``; every ``.po`` file of
a locale belongs to the one catalogue (split by subject for the translators' sake). Domain code never
makes sentences: it returns codes and numbers, and only this layer turns them into text.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from ..exceptions import RiskbookError
from .formatting import LANGUAGES, check_language

__all__ = ["LOCALES_DIR", "Messages", "messages", "catalogue", "local_text"]

LOCALES_DIR = Path(__file__).resolve().parent / "locales"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """Message id → text of one language, from every ``.po`` file of its locale."""
    lang = check_language(lang)
    folder = LOCALES_DIR / LANGUAGES[lang] / "LC_MESSAGES"
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.po")):
        with open(path, "rb") as fh:
            cat = read_po(fh, locale=LANGUAGES[lang])
        for m in cat:
            if m.id and not m.fuzzy and m.string:
                if m.id in out:
                    raise RiskbookError(f"{path.name}: message {m.id!r} is defined twice in the {lang} catalogue")
                out[str(m.id)] = str(m.string)
    return out


class Messages:
    """The texts of one language: ``t("key", name=value)`` returns the formatted message.

    Raises
    ------
    RiskbookError
        When the catalogue has no such message (the catalogue tests keep this from happening).
    """

    def __init__(self, lang: str):
        self.lang = check_language(lang)
        self._texts = catalogue(self.lang)

    def __contains__(self, key: str) -> bool:
        return key in self._texts

    def __call__(self, key: str, /, **args) -> str:
        try:
            text = self._texts[key]
        except KeyError:
            raise RiskbookError(f"message {key!r} is missing from the {self.lang} catalogue") from None
        try:
            return text.format(**args)
        except (KeyError, IndexError, ValueError) as exc:
            raise RiskbookError(f"message {key!r} ({self.lang}) needs arguments it was not given: {exc}") from None

    def get(self, key: str, default: str | None = None, /, **args) -> str | None:
        """The message, or ``default`` when the catalogue has none."""
        return self(key, **args) if key in self._texts else default


@lru_cache(maxsize=None)
def messages(lang: str) -> Messages:
    """The (shared) messages of a language."""
    return Messages(lang)


def local_text(value, lang: str) -> str:
    """A policy text in ``lang``: policy texts are ``{en: ..., zh: ...}`` mappings (or plain text)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or next(iter(value.values()), ""))
    return str(value)
