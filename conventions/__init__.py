"""The shared vocabulary: metric and label names, routing keys, dashboard uids, durations, the user-error type.

Every other package may import this one; it imports nothing else from the project (import-linter holds it).
"""
