"""Pure statistics: the exact test for canary counts, the robust trend slope, canary selections."""
