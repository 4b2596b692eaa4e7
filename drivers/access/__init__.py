"""Access-control logic shared by every gate and SOS driver, whatever the hardware.

Pure state machines fed with what the hardware reports and a clock: no I/O,
so the Modbus gate, a USB relay gate or a simulated one decide the same way.
"""
