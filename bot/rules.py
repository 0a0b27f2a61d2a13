"""Escalation rules from configuration: topics that always go to a person, abuse, asking for one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from kb.text import words

DEFAULT_RULES = Path(__file__).with_name("escalation.yml")
SHORT_MESSAGE_WORDS = 4
"""A bare word such as "agent" asks for a person only in a message this short."""


class RulesError(ValueError):
    """The escalation rules file is missing or malformed."""


class Topic(BaseModel):
    """A business rule: phrases that send the conversation to a person."""

    description: str = ""
    phrases: list[str] = Field(min_length=1)


class RulesFile(BaseModel):
    """The layout of ``escalation.yml``."""

    rules: dict[str, Topic] = Field(default_factory=dict)
    abusive_words: list[str] = Field(default_factory=list)
    human_phrases: list[str] = Field(default_factory=list)
    human_words: list[str] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A business rule that matched a message, and the phrase that matched."""

    rule: str
    phrase: str

    @property
    def detail(self) -> str:
        """How the match reads in a handoff: ``rule 'fraud' matched 'chargeback'``."""
        return f"rule {self.rule!r} matched {self.phrase!r}"


def phrase_pattern(phrases: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex for whole-word phrases (plurals too); None for no phrases."""
    parts = []
    for phrase in sorted(
        {" ".join(p.split()) for p in phrases if p.strip()}, key=len, reverse=True
    ):
        body = r"\s+".join(re.escape(w) for w in phrase.split())
        parts.append(rf"{body}(?:s|es)?")
    if not parts:
        return None
    return re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])", re.IGNORECASE)


@dataclass(frozen=True)
class EscalationRules:
    """Compiled rules; build them with :func:`load_rules` or :meth:`from_file_data`."""

    topics: dict[str, re.Pattern[str]] = field(default_factory=dict)
    abusive: re.Pattern[str] | None = None
    human_phrases: re.Pattern[str] | None = None
    human_words: re.Pattern[str] | None = None

    @classmethod
    def from_file_data(cls, data: RulesFile) -> EscalationRules:
        """Compile the parsed file."""
        topics = {
            name: pattern
            for name, topic in data.rules.items()
            if (pattern := phrase_pattern(topic.phrases)) is not None
        }
        return cls(
            topics=topics,
            abusive=phrase_pattern(data.abusive_words),
            human_phrases=phrase_pattern(data.human_phrases),
            human_words=phrase_pattern(data.human_words),
        )

    def business_rule(self, text: str) -> RuleMatch | None:
        """The first business rule (in file order) whose phrases occur in ``text``."""
        for name, pattern in self.topics.items():
            found = pattern.search(text)
            if found:
                return RuleMatch(name, " ".join(found.group(0).lower().split()))
        return None

    def is_abusive(self, text: str) -> bool:
        """Whether ``text`` contains an abusive word."""
        return bool(self.abusive and self.abusive.search(text))

    def asks_for_human(self, text: str) -> bool:
        """Whether ``text`` asks for a person in words ("talk to a person", or just "agent")."""
        if self.human_phrases and self.human_phrases.search(text):
            return True
        short = len(words(text)) <= SHORT_MESSAGE_WORDS
        return bool(short and self.human_words and self.human_words.search(text))


def parse_rules(text: str, *, source: str = "escalation rules") -> EscalationRules:
    """Compile rules from YAML text; raises RulesError saying what is wrong."""
    try:
        raw = yaml.safe_load(text) or {}
        return EscalationRules.from_file_data(RulesFile.model_validate(raw))
    except yaml.YAMLError as error:
        raise RulesError(f"{source} is not valid YAML: {error}") from None
    except ValidationError as error:
        raise RulesError(f"{source} is malformed: {error}") from None


@lru_cache(maxsize=8)
def load_rules(path: Path | None = None) -> EscalationRules:
    """The rules in ``path`` (default: the bundled ``bot/escalation.yml``), read once per process."""
    path = path or DEFAULT_RULES
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(f"cannot read escalation rules {path}: {error.strerror}") from None
    return parse_rules(text, source=str(path))
