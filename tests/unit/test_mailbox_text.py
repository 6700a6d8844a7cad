"""`petstore mailbox` prints an HTML e-mail as the text a mail reader shows: a line per
block, inline markup run on, entities decoded, and the order it concerns."""

from __future__ import annotations

from petstore_cli.mailbox import _message, mailbox_page, printed


def test_an_html_e_mail_reads_as_lines_of_text_naming_its_order() -> None:
    body = (
        "<h1>Order confirmed</h1>\n<p>Your order <strong>a85a35c0-3d1b</strong> is confirmed: "
        "1 &times; pet Rex, charged <strong>89.99 USD</strong>.</p><p>Thank you.</p>"
    )

    message = _message(
        {"message_id": "m1", "subject": "Order confirmed", "body": body, "sent_at": 1796461200.0}
    )

    assert message.body.splitlines() == [
        "Order confirmed",
        "Your order a85a35c0-3d1b is confirmed: 1 \u00d7 pet Rex, charged 89.99 USD.",
        "Thank you.",
    ]
    assert message.order_id == "a85a35c0-3d1b"


def test_the_mailbox_page_lists_the_newest_message_first_with_its_text_escaped() -> None:
    older = _message(
        {"message_id": "m1", "to": ["alice@example.com"], "subject": "Order confirmed",
         "body": "<p>Your order <strong>a85a35c0-3d1b</strong> is confirmed.</p>",
         "sent_at": 1796461200.0}
    )  # fmt: skip
    newer = _message(
        {"message_id": "m2", "to": ["bob@example.com"], "subject": "Payment <declined>",
         "body": "<p>The charge failed.</p>", "sent_at": 1796461260.0}
    )  # fmt: skip

    status, headers, page = mailbox_page(lambda: [older, newer])()

    text = page.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert text.index("bob@example.com") < text.index("alice@example.com")
    assert "Payment &lt;declined&gt;" in text and "<declined>" not in text
    assert "2026-12-05 09:00:00 UTC" in text and "a85a35c0-3d1b" in text


def test_printed_message_names_its_time_and_sender() -> None:
    message = _message(
        {"message_id": "m1", "source": "petstore@example.com", "subject": "Order confirmed",
         "body": "Your order a85a35c0-3d1b is confirmed.", "sent_at": 1796461200.0}
    )  # fmt: skip

    assert printed(message).splitlines()[:2] == [
        "--- Order confirmed  (order a85a35c0-3d1b, id m1)",
        "2026-12-05 09:00:00 UTC  from petstore@example.com",
    ]
