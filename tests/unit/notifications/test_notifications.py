"""Shoppers are told about their orders and payments once per event, through the
notifications topic, and read only their own notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notifications.handlers import handle_list_user_notifications, handle_send_notification
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import ApiAnswer, call_api
from support.saga_fixtures import events_of, rest_event


def notifications_page(caller: str, user_id: str, **query: str) -> ApiAnswer:
    event = rest_event("GET", f"/notifications/user/{user_id}", caller=caller, query=query or None)
    return call_api(handle_list_user_notifications, event)


def sent_notifications(saga: InProcessSaga, order_id: str) -> list[Any]:
    return events_of(saga, order_id, "notification.sent")


def test_a_confirmed_order_tells_its_shopper_each_step_once(
    saga: InProcessSaga, place_order: Callable[..., str]
) -> None:
    order_id = place_order(token="tok_visa")

    saga.settle()

    page = notifications_page("alice", "user-alice")
    assert page.status == 200
    subjects = [item["subject"] for item in page.body["items"]]
    assert sorted(subjects) == ["Order confirmed", "Order received", "Payment received"]
    assert all(
        item["status"] == "SENT" and item["orderId"] == order_id for item in page.body["items"]
    )
    assert len(sent_notifications(saga, order_id)) == 3


def test_every_event_delivered_again_notifies_no_more(
    saga: InProcessSaga, place_order: Callable[..., str]
) -> None:
    order_id = place_order(token="tok_decline")
    saga.settle()
    before = notifications_page("alice", "user-alice").body["items"]

    saga.deliver_again(events_of(saga, order_id) * 3)
    saga.settle()

    assert notifications_page("alice", "user-alice").body["items"] == before
    assert len(sent_notifications(saga, order_id)) == len(before)


def test_notifications_are_listed_newest_first_a_page_at_a_time(
    saga: InProcessSaga, place_order: Callable[..., str]
) -> None:
    place_order(token="tok_visa")
    saga.settle()

    first = notifications_page("alice", "user-alice", limit="2")
    rest = notifications_page("alice", "user-alice", limit="2", nextToken=first.body["nextToken"])

    listed = first.body["items"] + rest.body["items"]
    assert len(listed) == 3 and rest.body.get("nextToken") is None
    times = [item["createdAt"] for item in listed]
    assert times == sorted(times, reverse=True)


def test_a_shopper_cannot_read_someone_elses_notifications(
    saga: InProcessSaga, place_order: Callable[..., str]
) -> None:
    place_order(token="tok_visa")
    saga.settle()

    answer = notifications_page("bob", "user-alice")

    assert answer.status == 403
    assert "items" not in answer.body
    assert notifications_page("admin", "user-alice").status == 200


def test_a_custom_notification_is_stored_and_delivered(saga: InProcessSaga) -> None:
    body = {"userId": "user-bob", "subject": "Welcome", "message": "Thanks for joining."}

    answer = call_api(handle_send_notification, rest_event("POST", "/notifications", body=body))

    assert answer.status == 201
    assert answer.body["status"] == "SENT"
    [listed] = notifications_page("bob", "user-bob").body["items"]
    assert (listed["subject"], listed["message"]) == ("Welcome", "Thanks for joining.")
    [sent] = sent_notifications(saga, answer.body["notificationId"])
    assert sent.data.user_id == "user-bob"


def test_an_empty_subject_answers_422_naming_it(saga: InProcessSaga) -> None:
    body = {"userId": "user-bob", "subject": "  ", "message": "Hello"}

    answer = call_api(handle_send_notification, rest_event("POST", "/notifications", body=body))

    assert answer.status == 422
    assert answer.body["error"]["field"] == "subject"


def test_me_reads_the_callers_own_notifications(
    saga: InProcessSaga, place_order: Callable[..., str]
) -> None:
    place_order(token="tok_visa")
    saga.settle()

    mine = notifications_page("alice", "me")
    admins_own = notifications_page("admin", "me")

    assert mine.status == 200
    assert mine.body["items"] == notifications_page("alice", "user-alice").body["items"] != []
    assert admins_own.body["items"] == []


def test_a_refusal_names_the_id_the_shopper_may_read(saga: InProcessSaga) -> None:
    answer = notifications_page("alice", "alice")

    assert answer.status == 403
    assert "your user id is 'user-alice'" in answer.body["error"]["message"]
