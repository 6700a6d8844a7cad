"""Content of the layer in the provisioning test templates."""

LAYER_NAME = "provision-layer"
