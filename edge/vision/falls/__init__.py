"""Thrown-object detection (高空抛物): calibration, motion, tracking, trajectory, floors, evidence."""
