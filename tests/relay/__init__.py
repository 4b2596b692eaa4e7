"""Tests for the relay board drivers (drivers/relay)."""
