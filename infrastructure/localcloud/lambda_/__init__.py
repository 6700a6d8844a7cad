"""Lambda: the build of each function's artifact, worker processes that run it, their logs, hot
reload.
"""
