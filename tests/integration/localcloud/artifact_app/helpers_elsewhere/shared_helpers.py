"""A module beside the function's code folder, never inside its artifact."""

NAME = "not shipped"
