"""The harness's driver of the sample app (sample_app/CONTRACT.md)."""
