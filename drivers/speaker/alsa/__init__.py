"""A loudspeaker on the box's own audio output (ALSA), played with ``aplay``."""
