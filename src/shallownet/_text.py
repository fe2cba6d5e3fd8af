"""Small wording helpers shared by the messages users read."""


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` in the number ``n`` asks for: "1 feature", "4 features".

    ``plural`` is for nouns that do not take an "s" ("1 class" / "3 classes" needs it).
    """
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"
