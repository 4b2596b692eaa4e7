"""Announcements through the speakers: who may interrupt whom, schedules, quiet hours.

An :class:`~edge.broadcast.model.Announcement` (text to speak, or a clip) goes
to speakers or groups. Each speaker has a :class:`~edge.broadcast.channel.SpeakerChannel`
that plays one thing at a time by priority: life-safety > live announcement >
scheduled notice. A more urgent one stops what is playing at once, plays, and
the interrupted one is resumed or dropped by its policy.
"""
