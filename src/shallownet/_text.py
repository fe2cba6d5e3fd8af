"""Small wording helpers shared by the messages users read."""


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` in the number ``n`` asks for: "1 feature", "4 features".

    ``plural`` is for nouns that do not take an "s" ("1 class" / "3 classes" needs it).
    """
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def split_text(n_train: int, n_test: int = 0, n_validation: int = 0) -> str:
    """"training on 108 samples, holding out 30 for testing and 12 for validation": how a
    command's rows are shared out, the held-out parts said only when there are any."""
    held = [f"{n} for {what}" for n, what in ((n_test, "testing"), (n_validation, "validation"))
            if n]
    return f"training on {count(n_train, 'sample')}" + (
        f", holding out {' and '.join(held)}" if held else "")
