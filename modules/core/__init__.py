"""The innermost layer: typed ids, closed sets, value records, errors and the clock. Imports nothing else of ours."""
