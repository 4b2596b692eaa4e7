"""Vision on the box: what the cameras see, turned into events (faces at the gates, motion on façades).

Heavy work here runs in the vision process pool, never on the daemon's event loop.
"""
