"""Hardware at the wire level, simulated: for the tests and the benchmarks.

Unlike ``drivers/sim`` (whole devices simulated behind the driver interface),
these play the *other end of the cable*: a pseudo-terminal cable that can be
unplugged and can corrupt or delay bytes, a Modbus RTU IO module played by
pymodbus's own server, a USB relay board. The real drivers talk to them
exactly as they would to hardware.
"""
