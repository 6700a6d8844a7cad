"""`petstore mailbox` prints an HTML e-mail as the text a mail reader shows: a line per
block, inline markup run on, entities decoded, and the order it concerns."""

from __future__ import annotations

from petstore_cli.mailbox import _message


def test_an_html_e_mail_reads_as_lines_of_text_naming_its_order() -> None:
    body = (
        "<h1>Order confirmed</h1>\n<p>Your order <strong>a85a35c0-3d1b</strong> is confirmed: "
        "1 &times; pet Rex, charged <strong>89.99 USD</strong>.</p><p>Thank you.</p>"
    )

    message = _message({"id": "m1", "subject": "Order confirmed", "body": body})

    assert message.body.splitlines() == [
        "Order confirmed",
        "Your order a85a35c0-3d1b is confirmed: 1 \u00d7 pet Rex, charged 89.99 USD.",
        "Thank you.",
    ]
    assert message.order_id == "a85a35c0-3d1b"
