"""Tests of the thrown-object detector (edge/vision/falls)."""
