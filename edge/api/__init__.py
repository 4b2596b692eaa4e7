"""The daemon's HTTP faces: the local control socket (``edge status``) and the console/API on TCP."""
