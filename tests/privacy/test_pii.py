"""PII detection and masking on constructed texts with known answers."""

from __future__ import annotations

from rai_ft.privacy.pii import find_pii, mask_value, redact, scan_texts


def _kinds(text: str) -> list[str]:
    return [k for k, _, _ in find_pii(text)]


def test_each_type_is_found() -> None:
    assert _kinds("write to jane.doe@example.org today") == ["email"]
    assert _kinds("card 4111 1111 1111 1111 on file") == ["credit_card"]  # Luhn-valid test number
    assert _kinds("IBAN GB82 WEST 1234 5698 7654 32 please") == ["iban"]   # ISO 13616 example
    assert _kinds("server 192.168.10.254 is down") == ["ip_address"]
    assert _kinds("ssn 123-45-6789") == ["us_ssn"]
    assert _kinds("call +44 20 7946 0958 now") == ["phone"]


def test_validators_reject_lookalikes() -> None:
    assert _kinds("card 4111 1111 1111 1112") == []            # fails Luhn
    assert _kinds("IBAN GB82 WEST 1234 5698 7654 33") == []    # fails mod 97
    assert _kinds("version 999.1.2.3") == []                   # not an IP
    assert _kinds("A 39-year-old, capital gain 2174, 40 hours per week") == []  # ordinary numbers


def test_redact_replaces_and_counts() -> None:
    text, counts = redact("mail a@b.co or b@c.io, ip 10.0.0.1")
    assert text == "mail [EMAIL] or [EMAIL], ip [IP]"
    assert counts == {"email": 2, "ip_address": 1}
    only_email, _ = redact("a@b.co 10.0.0.1", {"email"})
    assert only_email == "[EMAIL] 10.0.0.1"


def test_scan_masks_examples() -> None:
    scan = scan_texts(["nothing here", "reach me at jane@example.org", "and 4111111111111111"])
    assert scan["texts_scanned"] == 3 and scan["texts_with_pii"] == 2
    assert scan["counts"]["email"] == 1 and scan["counts"]["credit_card"] == 1
    assert "jane@example.org" not in str(scan["examples"])
    assert "[email: j**************g]" in scan["examples"][0]["snippet"]
    assert mask_value("ab") == "**"


def test_north_american_phone_forms() -> None:
    assert _kinds("call (555) 123-4567") == ["phone"]
    assert _kinds("call 555-123-4567") == ["phone"]
    assert _kinds("order 1234 5678 9012") == []


def test_snippets_mask_every_span_even_at_the_window_edge() -> None:
    text = ("card 4111 1111 1111 1111, mail jane@example.org, phone 555-123-4567, again 4111 1111 1111 1111 "
            + "x" * 10 + " bob@example.com")
    scan = scan_texts([text], context=60)
    snippet = scan["examples"][0]["snippet"]
    for value in ("4111 1111 1111 1111", "jane@example.org", "555-123-4567", "bob@example.com", "example"):
        assert value not in snippet, value
    assert "[credit_card:" in snippet and "[email:" in snippet and "[phone:" in snippet
    cut = scan_texts(["mail jane@example.org " + "y" * 40 + " and more@example.net trailing"], context=45)
    assert "more@" not in cut["examples"][0]["snippet"] and "example.net" not in cut["examples"][0]["snippet"]


def test_mask_strings_reaches_nested_texts_and_word_lists() -> None:
    from rai_ft.privacy.pii import mask_strings

    doc = {"examples": [{"original": "pay 4111 1111 1111 1111 now", "n": 3,
                         "original_words": ["pay", "4111", "1111", "1111", "1111", "now"],
                         "words": ["ask", "jane@example.org"]}], "msg": "from a@b.co"}
    out = mask_strings(doc)
    flat = str(out)
    assert "4111 1111" not in flat and "jane@example.org" not in flat and "a@b.co" not in flat
    assert out["examples"][0]["original_words"] == ["pay", "****", "****", "****", "****", "now"]
    assert out["examples"][0]["n"] == 3 and out["examples"][0]["words"][0] == "ask"
