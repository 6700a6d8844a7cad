import greeting


def handler(event, context):
    return {"greeting": greeting.greet(event["name"]), "module_file": greeting.__file__}
