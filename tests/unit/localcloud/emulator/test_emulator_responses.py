"""The emulator's remembered serializer work changes no answer: the same calls give
the same responses with it as with moto's own code; request ids stay moto's kind."""

from __future__ import annotations

import re
from typing import Any

import boto3
import moto.core.responses
import moto.dynamodb.responses
import moto.utilities.aws_headers
import pytest
from moto import mock_aws
from moto.core.serialize import AttributePicker, AttributePickerContext, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api._internal import mock_random
from moto.sqs.responses import SQSResponse

from localcloud.emulator.patches import responses as emulator_responses

REGION = "us-east-1"
VOLATILE = {
    "eventID",
    "SequenceNumber",
    "ApproximateCreationDateTime",
    "SizeBytes",  # counts the digits of the two above
    "MessageId",
    "ReceiptHandle",
    "RequestId",
    "ResponseMetadata",
    "SentTimestamp",
    "ApproximateFirstReceiveTimestamp",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "HTTPHeaders",
}


def without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_volatile(item) for item in value]
    return value


def answers_to_a_saga_like_session() -> list[Any]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dead = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
        url = sqs.create_queue(
            QueueName="orders",
            Attributes={
                "VisibilityTimeout": "30",
                "RedrivePolicy": (
                    f'{{"deadLetterTargetArn": "{dead_arn["Attributes"]["QueueArn"]}", '
                    '"maxReceiveCount": "3"}'
                ),
            },
        )["QueueUrl"]
        answers = [
            sqs.send_message(
                QueueUrl=url,
                MessageBody='{"type": "order.placed"}',
                MessageAttributes={
                    "kind": {"DataType": "String", "StringValue": "order.placed"},
                    "count": {"DataType": "Number", "StringValue": "3"},
                    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                },
            ),
            sqs.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": f"m{n}", "MessageBody": f"body {n}"} for n in range(4)],
            ),
        ]
        received = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        answers.append(received)
        answers.append(
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
                    for n, message in enumerate(received["Messages"][:2])
                ],
            )
        )
        answers.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))
        text = sqs.create_queue(QueueName="text-only")["QueueUrl"]
        for number in range(3):
            sqs.send_message(
                QueueUrl=text,
                MessageBody=f'{{"n": {number}, "name": "Ünïcode \\"quoted\\""}}',
                MessageAttributes={
                    "type": {"DataType": "String", "StringValue": "order.placed"},
                    "version": {"DataType": "Number", "StringValue": "1"},
                }
                if number
                else {},
            )
        answers.append(
            sqs.receive_message(
                QueueUrl=text,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        )
        answers.append(sqs.receive_message(QueueUrl=text, WaitTimeSeconds=0))  # none left
        answers.append(sqs.list_queues())
        answers.append(sqs.list_dead_letter_source_queues(QueueUrl=dead))
        answers.extend(stream_records_after_writes())
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        cloudwatch.put_metric_data(
            Namespace="PetStore", MetricData=[{"MetricName": "OrdersPlaced", "Value": 2.0}]
        )
        answers.append(cloudwatch.list_metrics(Namespace="PetStore"))
    return [without_volatile(answer) for answer in answers]


def stream_records_after_writes() -> list[Any]:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    stream_arn = dynamodb.create_table(
        TableName="orders",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    item = {
        "pk": {"S": "ORDER#1"},
        "status": {"S": "PENDING"},
        "total": {"N": "12.50"},
        "lines": {"L": [{"M": {"petId": {"S": "p-1"}, "quantity": {"N": "2"}}}]},
        "paid": {"BOOL": False},
        "note": {"NULL": True},
        "tags": {"SS": ["gift", 'ünïcode "quoted"']},
    }
    dynamodb.put_item(TableName="orders", Item=item)
    dynamodb.update_item(
        TableName="orders",
        Key={"pk": {"S": "ORDER#1"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "CONFIRMED"}},
    )
    dynamodb.delete_item(TableName="orders", Key={"pk": {"S": "ORDER#1"}})
    # Named explicitly: botocore would derive an endpoint from the stream's ARN that
    # the in-process emulator does not route.
    streams = boto3.client(
        "dynamodbstreams",
        region_name=REGION,
        endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
    )
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)
    dynamodb.put_item(TableName="orders", Item={"pk": {"S": "BLOB"}, "data": {"B": b"\x00"}})
    blob = streams.get_records(ShardIterator=records["NextShardIterator"])
    return [
        {**records, "NextShardIterator": None},
        {**blob, "NextShardIterator": None},
    ]


def test_answers_are_the_same_with_the_remembered_work_as_with_motos_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    motos = answers_to_a_saga_like_session()
    monkeypatch.setattr(SQSResponse, "receive_message", emulator_responses.receive_message)
    monkeypatch.setattr(DynamoDBStreamsHandler, "get_records", emulator_responses.get_records)
    for picker in (AttributePicker, XFormedAttributePicker):
        monkeypatch.setattr(
            picker,
            "get_possible_keys",
            emulator_responses.remembering(emulator_responses.MOTO_GET_POSSIBLE_KEYS[picker]),
        )
    with_request_ids_and_method_names_of_the_emulator(monkeypatch)

    first, again = answers_to_a_saga_like_session(), answers_to_a_saga_like_session()

    assert first == motos
    assert again == motos  # answered from what the first session remembered
    assert motos[2]["Messages"][0]["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01"
    records = [answer["Records"] for answer in motos if "Records" in answer]
    assert [len(each) for each in records] == [3, 1]
    assert records[1][0]["dynamodb"]["NewImage"]["data"] == {"B": b"\x00"}
    (text_only,) = [answer["Messages"] for answer in motos if len(answer.get("Messages", [])) == 3]
    assert {"type", "version"} <= set(text_only[-1]["MessageAttributes"])


class Queue:
    """Named like moto's SQS queue: moto also looks for `QueueUrl` as `Url` on it."""


@pytest.mark.parametrize("picker", [AttributePicker, XFormedAttributePicker])
def test_each_shape_and_class_of_object_keeps_its_own_candidate_names(
    picker: type[AttributePicker],
) -> None:
    model = get_service_model("sqs")
    shapes = {
        name: model.operation_model(name).output_shape.members["QueueUrl"]
        for name in ("CreateQueue", "GetQueueUrl")
    }
    remembered = emulator_responses.remembering(emulator_responses.MOTO_GET_POSSIBLE_KEYS[picker])
    contexts = [
        AttributePickerContext(obj=obj, key="QueueUrl", shape=shape)
        for shape in shapes.values()
        for obj in (Queue(), {"QueueUrl": "u"})
    ]

    twice = [list(remembered(picker(), context)) for context in contexts * 2]

    motos = [list(emulator_responses.MOTO_GET_POSSIBLE_KEYS[picker](picker(), c)) for c in contexts]
    assert twice == motos * 2
    assert motos[0] != motos[1]  # the class of the object matters


def with_request_ids_and_method_names_of_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        moto.core.responses, "method_names_from_class", emulator_responses.method_names
    )
    for module in (moto.core.responses, moto.utilities.aws_headers):
        monkeypatch.setattr(module, "gen_amzn_requestid_long", emulator_responses.request_id)


def test_request_ids_are_52_letters_and_digits_distinct_and_follow_motos_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_request_ids_and_method_names_of_the_emulator(monkeypatch)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        ids = [dynamodb.list_tables()["ResponseMetadata"]["RequestId"] for _ in range(200)]
        with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
            dynamodb.describe_table(TableName="none")  # an error answer, dispatched as moto does

    assert all(re.fullmatch(r"[A-Za-z0-9]{52}", request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)
    mock_random.seed(7)
    seeded = emulator_responses.request_id()
    mock_random.seed(7)
    assert emulator_responses.request_id() == seeded
    headers: dict[str, Any] = {}
    assert emulator_responses.request_id(headers) == headers["x-amzn-requestid"]


def answers_to_a_store_like_session() -> list[Any]:
    """Every item operation the services make, and the answers moto's serializer shapes
    differently from its dict: an item with binary values, one with text that reads like
    JSON's null, a missing item, a page with a next key, consumed capacity asked for,
    projections, returned old and new values."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="store",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-status",
                    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        item = {
            "pk": {"S": "ORDER#1"},
            "status": {"S": "PENDING"},
            "amount": {"N": "12.50"},
            "paid": {"BOOL": False},
            "note": {"NULL": True},
            "lines": {"L": [{"M": {"pet": {"S": "p1"}, "quantity": {"N": "2"}}}]},
            "tags": {"SS": ["a", "b"]},
            "sizes": {"NS": ["1", "2"]},
        }
        key = {"pk": {"S": "ORDER#1"}, "sk": {"S": "A"}}
        answers: list[Any] = [
            dynamodb.put_item(TableName="store", Item={**item, "sk": {"S": f"{n}"}}) for n in "ABC"
        ]
        answers += [
            dynamodb.put_item(
                TableName="store",
                Item={"pk": {"S": "BLOB"}, "sk": {"S": "A"}, "data": {"B": b"\x00\x01"}},
                ReturnConsumedCapacity="TOTAL",
            ),
            dynamodb.get_item(TableName="store", Key=key),
            dynamodb.get_item(TableName="store", Key={**key, "pk": {"S": "NONE"}}),
            dynamodb.get_item(TableName="store", Key={**key, "pk": {"S": "BLOB"}}),
            dynamodb.get_item(
                TableName="store",
                Key=key,
                ProjectionExpression="amount, #s",
                ExpressionAttributeNames={"#s": "status"},
                ReturnConsumedCapacity="INDEXES",
            ),
            dynamodb.query(
                TableName="store",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": "ORDER#1"}},
                Limit=2,
            ),
            dynamodb.query(
                TableName="store",
                IndexName="by-status",
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": "PENDING"}},
                Select="COUNT",
            ),
            dynamodb.scan(TableName="store", ReturnConsumedCapacity="TOTAL"),
            dynamodb.scan(
                TableName="store",
                FilterExpression="begins_with(pk, :order)",
                ExpressionAttributeValues={":order": {"S": "ORDER#"}},
            ),
            dynamodb.update_item(
                TableName="store",
                Key=key,
                UpdateExpression="SET #s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": "CONFIRMED"}},
                ReturnValues="ALL_NEW",
            ),
            dynamodb.update_item(
                TableName="store",
                Key=key,
                UpdateExpression="ADD amount :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="UPDATED_OLD",
            ),
            dynamodb.delete_item(
                TableName="store", Key={**key, "sk": {"S": "C"}}, ReturnValues="ALL_OLD"
            ),
            dynamodb.batch_get_item(
                RequestItems={"store": {"Keys": [key, {**key, "sk": {"S": "Z"}}]}}
            ),
            dynamodb.batch_write_item(
                RequestItems={"store": [{"PutRequest": {"Item": {**item, "sk": {"S": "D"}}}}]}
            ),
            dynamodb.transact_get_items(
                TransactItems=[{"Get": {"TableName": "store", "Key": key}}]
            ),
            dynamodb.put_item(
                TableName="store",
                Item={"pk": {"S": "TEXT"}, "sk": {"S": "A"}, "text": {"S": 'null, "B": [null'}},
            ),
            dynamodb.get_item(TableName="store", Key={**key, "pk": {"S": "TEXT"}}),
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "store",
                            "Key": key,
                            "UpdateExpression": "SET paid = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}},
                        }
                    }
                ]
            ),
        ]
        return [without_volatile(answer) for answer in answers]


def test_dynamodbs_item_answers_are_the_same_written_as_json_as_moto_serializes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    motos = answers_to_a_store_like_session()
    for name in emulator_responses.DYNAMODB_ITEM_ACTIONS:
        moto_action = getattr(moto.dynamodb.responses.DynamoHandler, name)
        monkeypatch.setattr(
            moto.dynamodb.responses.DynamoHandler,
            name,
            counting(emulator_responses.written_as_json(moto_action), name),
        )

    ours = answers_to_a_store_like_session()

    assert ours == motos
    assert motos[4]["Item"]["lines"] == {"L": [{"M": {"pet": {"S": "p1"}, "quantity": {"N": "2"}}}]}
    assert "Item" not in motos[5]
    assert motos[6]["Item"]["data"] == {"B": b"\x00\x01"}
    assert "LastEvaluatedKey" in motos[8]
    assert motos[-2]["Item"]["text"] == {"S": 'null, "B": [null'}
    assert set(WRITTEN_AS_JSON) == set(emulator_responses.DYNAMODB_ITEM_ACTIONS)


WRITTEN_AS_JSON: set[str] = set()


def counting(action: Any, name: str) -> Any:
    """`action`, noting each operation that answered as JSON rather than through moto's
    serializer (a tuple, not an ActionResult)."""

    def counted(self: Any) -> Any:
        answer = action(self)
        if isinstance(answer, tuple):
            WRITTEN_AS_JSON.add(name)
        return answer

    return counted
