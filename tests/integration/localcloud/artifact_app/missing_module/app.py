import shared_helpers


def handler(event, context):
    return {"statusCode": 200, "body": shared_helpers.NAME}
