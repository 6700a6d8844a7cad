"""What `sam build` makes of a template's functions and layers, made locally: each
function's artifact and each layer in Lambda's layout, the runtime's interpreter
and the SDK the runtime ships, so that what runs locally is what deploys."""
