import yaml


def handler(event, context):
    return {"statusCode": 200, "body": yaml.__file__}
