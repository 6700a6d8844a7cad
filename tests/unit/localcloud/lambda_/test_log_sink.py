"""The functions' log output in the terminal and in memory."""

from __future__ import annotations

import io
import json
import threading

from localcloud.lambda_.logs import LogSink, readable
from localcloud.model import InvocationResult

POWERTOOLS_LINE = json.dumps(
    {
        "level": "INFO",
        "location": "place_order:42",
        "message": "order placed",
        "timestamp": "2026-11-24 10:00:00,000+0000",
        "service": "orders",
        "correlation_id": "req-123",
    }
)


def terminal_sink(**options: bool) -> tuple[LogSink, io.StringIO]:
    terminal = io.StringIO()
    return LogSink(stream=terminal, colour=False, **options), terminal


def test_each_line_is_printed_under_a_fixed_width_function_name() -> None:
    sink, terminal = terminal_sink()

    sink.emit("PlaceOrder", "hello")
    sink.emit("a-very-long-stack-generated-function-name", "world")

    first, second = terminal.getvalue().splitlines()
    assert first == f"{'PlaceOrder':<24} | hello"
    assert second == "…generated-function-name | world"
    assert first.index("|") == second.index("|")


def test_powertools_json_is_shown_readably_with_its_correlation_id_labelled_and_kept_raw() -> None:
    sink, terminal = terminal_sink()

    sink.emit("PlaceOrder", POWERTOOLS_LINE)

    assert (
        terminal.getvalue().rstrip("\n").endswith("| INFO    order placed [correlation_id=req-123]")
    )
    assert sink.lines("PlaceOrder") == [POWERTOOLS_LINE]


def test_raw_json_mode_prints_lines_unchanged() -> None:
    sink, terminal = terminal_sink(raw_json=True)

    sink.emit("PlaceOrder", POWERTOOLS_LINE)

    assert terminal.getvalue().rstrip("\n").endswith(f"| {POWERTOOLS_LINE}")


def test_logged_exception_is_shown_below_its_message() -> None:
    line = json.dumps(
        {"level": "ERROR", "message": "boom", "exception": "Traceback\n  File x\nValueError"}
    )

    assert readable(line) == "ERROR   boom\nTraceback\n  File x\nValueError"


def test_metrics_lines_are_summarised() -> None:
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": 1,
                "CloudWatchMetrics": [
                    {"Namespace": "PetStore", "Dimensions": [], "Metrics": [{"Name": "Orders"}]}
                ],
            },
            "Orders": [1.0],
        }
    )

    assert readable(line) == "METRICS Orders=1.0"


def test_other_lines_are_unchanged() -> None:
    assert readable("plain text") == "plain text"
    assert readable("{not json") == "{not json"
    assert readable('{"message": "no level"}') == '{"message": "no level"}'


def test_quiet_sink_prints_nothing_but_keeps_lines() -> None:
    sink, terminal = terminal_sink(quiet=True)

    sink.emit("PlaceOrder", "hello")
    sink.platform("PlaceOrder", "cold start: 12 ms")

    assert terminal.getvalue() == ""
    assert sink.lines("PlaceOrder") == ["hello", "cold start: 12 ms"]
    assert sink.lines("Unknown") == []


def test_memory_keeps_only_the_last_lines_per_function() -> None:
    sink = LogSink(quiet=True, max_lines_per_function=3)

    for number in range(5):
        sink.emit("PlaceOrder", str(number))
    sink.emit("Other", "x")

    assert sink.lines("PlaceOrder") == ["2", "3", "4"]
    assert sink.lines("Other") == ["x"]


def test_lines_from_many_threads_are_all_kept_whole() -> None:
    sink, terminal = terminal_sink()

    def write(thread: int) -> None:
        for number in range(200):
            sink.emit(f"fn{thread}", f"line {number}")

    threads = [threading.Thread(target=write, args=(thread,)) for thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(len(sink.lines(f"fn{thread}")) == 200 for thread in range(4))
    printed = terminal.getvalue().splitlines()
    assert len(printed) == 800
    assert all(line.split(" | ")[1].startswith("line ") for line in printed)


def test_invocation_summary_is_printed_at_debug_level_only() -> None:
    result = InvocationResult(ok=True, duration_ms=12.5, cold_start=True, request_id="req-1")
    quiet_sink, quiet_terminal = terminal_sink()
    debug_sink, debug_terminal = terminal_sink(debug=True)

    quiet_sink.invocation("PlaceOrder", result)
    debug_sink.invocation("PlaceOrder", result)

    assert quiet_terminal.getvalue() == ""
    assert debug_terminal.getvalue().endswith("| END req-1 12.5 ms (cold start)\n")


def test_colour_marks_the_name_and_the_level_when_enabled() -> None:
    terminal = io.StringIO()
    sink = LogSink(stream=terminal, colour=True)

    sink.emit("PlaceOrder", json.dumps({"level": "ERROR", "message": "failed"}))

    assert "\033[31mERROR" in terminal.getvalue()
    assert terminal.getvalue().startswith("\033[")


def test_registered_names_size_the_column_and_drop_their_shared_stack_prefix() -> None:
    sink, terminal = terminal_sink()
    sink.register(["petstore-PlaceOrderFunction", "petstore-NotificationPaymentEventsFunction"])

    sink.emit("petstore-PlaceOrderFunction", "placed")
    sink.emit("petstore-NotificationPaymentEventsFunction", "sent")

    assert terminal.getvalue().splitlines() == [
        f"{'PlaceOrderFunction':<33} | placed",
        "NotificationPaymentEventsFunction | sent",
    ]
    assert sink.lines("petstore-PlaceOrderFunction") == ["placed"]
