"""Tests of the wire-level peers: the pty cable and the Modbus IO module."""
